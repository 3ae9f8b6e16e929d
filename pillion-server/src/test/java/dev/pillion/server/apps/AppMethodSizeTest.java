package dev.pillion.server.apps;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import dev.pillion.testing.JvmBytecode;
import dev.pillion.testing.TestGuests;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The app SDKs keep every guest function of an app small enough for HotSpot to JIT-compile what
 * Chicory makes of it: the Rust SDK's request decoding, its handler call and its Dapr client are
 * functions of their own (an app module is compiled at load, so this compiles the repository's apps
 * the same way and reads the classes generated).
 */
class AppMethodSizeTest {
  private static Path module(String name) {
    return switch (name) {
      case "app-contract" -> TestGuests.path("app-contract");
      default ->
          Path.of("..", "examples", "apps", name, name + ".wasm").toAbsolutePath().normalize();
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"app-contract", "order-service", "order-counter"})
  void everyFunctionOfTheAppsIsJitCompilable(String app) throws IOException {
    Map<String, byte[]> jars = new ConcurrentHashMap<>();
    Cache capture =
        new Cache() {
          @Override
          public byte[] get(String key) {
            return jars.get(key);
          }

          @Override
          public void putIfAbsent(String key, byte[] data) {
            jars.putIfAbsent(key, data);
          }
        };
    MachineFactoryCompiler.builder(Parser.parse(module(app))).withCache(capture).compile();
    Map<String, Integer> sizes = new LinkedHashMap<>();
    for (byte[] jar : jars.values()) {
      try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(jar))) {
        for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
          if (entry.getName().endsWith(".class")) {
            String className = entry.getName();
            JvmBytecode.codeLengths(zip.readAllBytes())
                .forEach((method, length) -> sizes.put(className + " " + method, length));
          }
        }
      }
    }
    assertThat(sizes.keySet())
        .as("the classes Chicory generated")
        .anyMatch(m -> m.contains("func_"));
    assertThat(JvmBytecode.overHugeMethodLimit(sizes))
        .as("methods (bytecode bytes) over HotSpot's HugeMethodLimit, never JIT-compiled")
        .isEmpty();
  }
}
