package dev.pillion.wasm;

import dev.pillion.abi.StateStoreContract;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The C fixtures of components/fixtures, copied to the test classpath under fixtures/. */
final class Fixtures {
  static final String MISBEHAVING = "misbehaving-state";
  static final String GOPLUGIN_V01 = "goplugin-v01-state";
  static final String WRONG_VERSION = "wrong-version-state";
  static final String MISSING_EXPORT = "missing-export-state";
  static final String FORBIDDEN_IMPORT = "forbidden-import-state";
  static final String EXIT_NONZERO = "exit-nonzero-command";
  static final String HOSTILE_ABI = "hostile-abi-state";
  static final String HOST_FAULT = "host-fault-state";
  static final String HOSTILE_WASI = "hostile-wasi-state";

  private Fixtures() {}

  static byte[] bytes(String fixture) {
    try (InputStream in =
        Fixtures.class.getClassLoader().getResourceAsStream("fixtures/" + fixture + ".wasm")) {
      if (in == null) {
        throw new IllegalStateException(
            "fixture " + fixture + ".wasm is not on the test classpath; run components/build.sh");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ModuleSource source(String fixture) {
    return ModuleSource.classpath("fixtures/" + fixture + ".wasm", Fixtures.class.getClassLoader());
  }

  static ComponentSpec.Builder spec(String fixture) {
    return ComponentSpec.builder()
        .name(fixture)
        .contract(StateStoreContract.CONTRACT)
        .source(source(fixture));
  }
}
