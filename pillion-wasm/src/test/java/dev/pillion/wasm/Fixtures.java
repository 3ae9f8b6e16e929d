package dev.pillion.wasm;

import dev.pillion.abi.StateStoreContract;
import dev.pillion.testing.TestGuests;

/** The names of the C test guests this module's tests use, and their specs ({@link TestGuests}). */
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
    return TestGuests.bytes(fixture);
  }

  static ModuleSource source(String fixture) {
    return ModuleSource.classpath(TestGuests.resource(fixture), TestGuests.classLoader());
  }

  static ComponentSpec.Builder spec(String fixture) {
    return ComponentSpec.builder()
        .name(fixture)
        .contract(StateStoreContract.CONTRACT)
        .source(source(fixture));
  }
}
