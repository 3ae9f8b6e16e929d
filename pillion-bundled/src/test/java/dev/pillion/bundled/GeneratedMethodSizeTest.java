package dev.pillion.bundled;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.bundled.generated.PubSubInMemoryModule;
import dev.pillion.bundled.generated.SecretStoresLocalEnvModule;
import dev.pillion.bundled.generated.SecretStoresLocalFileModule;
import dev.pillion.bundled.generated.StateInMemoryModule;
import dev.pillion.testing.JvmBytecode;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every method of the classes generated from the bundled modules is small enough for HotSpot to
 * JIT-compile. A method over {@value JvmBytecode#HUGE_METHOD_LIMIT} bytes of bytecode is never
 * compiled ({@code -XX:+DontCompileHugeMethods}, the default): the guest function behind it runs in
 * the bytecode interpreter for the life of the JVM. The in-memory broker's publish, pull and ack
 * once grew past it, which made every pub/sub call 5 to 10 times slower.
 */
class GeneratedMethodSizeTest {
  @ParameterizedTest
  @ValueSource(
      classes = {
        StateInMemoryModule.class,
        PubSubInMemoryModule.class,
        SecretStoresLocalFileModule.class,
        SecretStoresLocalEnvModule.class
      })
  void everyGeneratedMethodIsJitCompilable(Class<?> module) throws IOException {
    Map<String, Integer> sizes = JvmBytecode.generatedMethodLengths(module);
    assertThat(sizes).as("methods of the classes generated for %s", module.getName()).isNotEmpty();
    assertThat(sizes.keySet())
        .as("the module's functions, compiled into function groups")
        .anyMatch(method -> method.contains("FuncGroup_0.class func_"));
    assertThat(JvmBytecode.overHugeMethodLimit(sizes))
        .as("methods (bytecode bytes) over HotSpot's HugeMethodLimit, never JIT-compiled")
        .isEmpty();
  }
}
