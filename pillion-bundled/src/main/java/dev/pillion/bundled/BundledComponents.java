package dev.pillion.bundled;

import dev.pillion.bundled.generated.PubSubInMemoryModule;
import dev.pillion.bundled.generated.SecretStoresLocalEnvModule;
import dev.pillion.bundled.generated.SecretStoresLocalFileModule;
import dev.pillion.bundled.generated.StateInMemoryModule;
import dev.pillion.wasm.ModuleSource;

/**
 * The components that ship with Pillion. Each is built from Rust sources in {@code components/} by
 * {@code components/build.sh}, committed as {@code .wasm}, and compiled to JVM bytecode when this
 * module is built.
 */
public final class BundledComponents {
  /** The name of the in-memory state component's module. */
  public static final String STATE_IN_MEMORY = "state-in-memory";

  /** The name of the in-memory pub/sub component's module. */
  public static final String PUBSUB_IN_MEMORY = "pubsub-in-memory";

  /** The name of the local file secret store's module ({@code secretstores.local.file}). */
  public static final String SECRETSTORES_LOCAL_FILE = "secretstores-local-file";

  /** The name of the local environment secret store's module ({@code secretstores.local.env}). */
  public static final String SECRETSTORES_LOCAL_ENV = "secretstores-local-env";

  /**
   * Where the host preopens, read-only, the directory of the file a {@code secretstores.local.file}
   * component names; its {@code secretsFile} metadata is passed to the guest as this directory,
   * {@code /}, and the file's name (see docs/abi.md).
   */
  public static final String SECRETS_FILE_GUEST_DIRECTORY = "/secrets";

  private static final String STATE_IN_MEMORY_RESOURCE =
      "dev/pillion/bundled/wasm/state-in-memory.wasm";

  private static final String PUBSUB_IN_MEMORY_RESOURCE =
      "dev/pillion/bundled/wasm/pubsub-in-memory.wasm";

  private static final String SECRETSTORES_LOCAL_FILE_RESOURCE =
      "dev/pillion/bundled/wasm/secretstores-local-file.wasm";
  private static final String SECRETSTORES_LOCAL_ENV_RESOURCE =
      "dev/pillion/bundled/wasm/secretstores-local-env.wasm";

  private BundledComponents() {}

  /**
   * The in-memory state component, compiled at build time: loading it compiles nothing.
   *
   * @return the module source
   */
  public static ModuleSource stateInMemory() {
    return ModuleSource.precompiled(STATE_IN_MEMORY, new StateInMemoryModule());
  }

  /**
   * The in-memory state component's raw {@code .wasm}, for the interpreter or to measure load-time
   * compilation.
   *
   * @return the module source
   */
  public static ModuleSource stateInMemoryWasm() {
    return ModuleSource.classpath(
        STATE_IN_MEMORY_RESOURCE, BundledComponents.class.getClassLoader());
  }

  /**
   * The in-memory pub/sub broker, compiled at build time.
   *
   * @return the module source
   */
  public static ModuleSource pubsubInMemory() {
    return ModuleSource.precompiled(PUBSUB_IN_MEMORY, new PubSubInMemoryModule());
  }

  /**
   * The in-memory pub/sub broker's raw {@code .wasm}.
   *
   * @return the module source
   */
  public static ModuleSource pubsubInMemoryWasm() {
    return ModuleSource.classpath(
        PUBSUB_IN_MEMORY_RESOURCE, BundledComponents.class.getClassLoader());
  }

  /**
   * The local file secret store, compiled at build time. It needs the file's directory preopened
   * read-only at {@link #SECRETS_FILE_GUEST_DIRECTORY} and no capability besides WASI.
   *
   * @return the module source
   */
  public static ModuleSource secretStoresLocalFile() {
    return ModuleSource.precompiled(SECRETSTORES_LOCAL_FILE, new SecretStoresLocalFileModule());
  }

  /**
   * The local file secret store's raw {@code .wasm}.
   *
   * @return the module source
   */
  public static ModuleSource secretStoresLocalFileWasm() {
    return ModuleSource.classpath(
        SECRETSTORES_LOCAL_FILE_RESOURCE, BundledComponents.class.getClassLoader());
  }

  /**
   * The local environment secret store, compiled at build time. It reads the WASI environment, so
   * its spec must grant exactly the variables it may serve.
   *
   * @return the module source
   */
  public static ModuleSource secretStoresLocalEnv() {
    return ModuleSource.precompiled(SECRETSTORES_LOCAL_ENV, new SecretStoresLocalEnvModule());
  }

  /**
   * The local environment secret store's raw {@code .wasm}.
   *
   * @return the module source
   */
  public static ModuleSource secretStoresLocalEnvWasm() {
    return ModuleSource.classpath(
        SECRETSTORES_LOCAL_ENV_RESOURCE, BundledComponents.class.getClassLoader());
  }
}
