package dev.pillion.bundled;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bundled module is a WASI reactor: it exports {@code _initialize}, which the host calls once
 * after instantiating it. A Rust cdylib linked without wasi-libc's {@code crt1-reactor.o} has no
 * {@code _initialize}, so wasm-ld wraps every export in a call to the constructors instead; they
 * then ran on every call, and the one that copies the environment leaked a copy per call (a {@code
 * secretstores.local.env} store ran out of memory after some 200,000 gets).
 */
class ReactorModulesTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        BundledComponents.STATE_IN_MEMORY,
        BundledComponents.PUBSUB_IN_MEMORY,
        BundledComponents.SECRETSTORES_LOCAL_FILE,
        BundledComponents.SECRETSTORES_LOCAL_ENV
      })
  void exportsInitialize(String module) throws IOException {
    WasmModule parsed;
    try (InputStream in =
        BundledComponents.class
            .getClassLoader()
            .getResourceAsStream("dev/pillion/bundled/wasm/" + module + ".wasm")) {
      assertThat(in).as("raw module %s", module).isNotNull();
      parsed = Parser.parse(in);
    }
    List<String> exports = new ArrayList<>();
    for (int i = 0; i < parsed.exportSection().exportCount(); i++) {
      Export export = parsed.exportSection().getExport(i);
      exports.add(export.name());
    }
    assertThat(exports).contains("_initialize", "malloc", "free");
  }
}
