package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.pillion.redis.generated.PubSubRedisModule;
import dev.pillion.redis.generated.StateRedisModule;
import dev.pillion.testing.JvmBytecode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Redis components' modules as this jar ships them: WASI reactors (see pillion-bundled's
 * ReactorModulesTest for why) whose build-time compiled functions all stay under HotSpot's
 * HugeMethodLimit.
 */
class RedisComponentModulesTest {
  @ParameterizedTest
  @ValueSource(strings = {RedisComponentModules.STATE_REDIS, RedisComponentModules.PUBSUB_REDIS})
  void rawModuleIsAReactor(String module) throws IOException {
    WasmModule parsed;
    try (InputStream in =
        RedisComponentModules.class
            .getClassLoader()
            .getResourceAsStream("dev/pillion/redis/wasm/" + module + ".wasm")) {
      assertThat(in).as("raw module %s", module).isNotNull();
      parsed = Parser.parse(in);
    }
    List<String> exports = new ArrayList<>();
    for (int i = 0; i < parsed.exportSection().exportCount(); i++) {
      exports.add(parsed.exportSection().getExport(i).name());
    }
    assertThat(exports).contains("_initialize", "malloc", "free");
  }

  @ParameterizedTest
  @ValueSource(classes = {StateRedisModule.class, PubSubRedisModule.class})
  void everyGeneratedMethodIsJitCompilable(Class<?> module) throws IOException {
    Map<String, Integer> sizes = JvmBytecode.generatedMethodLengths(module);
    assertThat(sizes.keySet())
        .as("the module's functions, compiled into function groups")
        .anyMatch(method -> method.contains("FuncGroup_0.class func_"));
    assertThat(JvmBytecode.overHugeMethodLimit(sizes))
        .as("methods (bytecode bytes) over HotSpot's HugeMethodLimit, never JIT-compiled")
        .isEmpty();
  }
}
