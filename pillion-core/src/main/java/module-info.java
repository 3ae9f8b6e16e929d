/**
 * Pillion's building blocks with Dapr's semantics (state, pub/sub, secrets) behind one SPI, the
 * component loader, Dapr's resource YAML and the embedded runtime ({@link dev.pillion.Pillion}).
 * Exports the facade, each block's API and {@code spi} package, the building-block SPI and the
 * configuration package, and each block's Wasm adapter ({@code *.wasm}), with which an application
 * builds a component type of its own that grants a guest its own host capabilities.
 */
// CEL has no descriptor and no Automatic-Module-Name, so its module name comes from its file name;
// it is optional (static): only subscription routing rules need it (dev.pillion.pubsub.CelRules).
@SuppressWarnings("requires-automatic")
module dev.pillion.core {
  requires transitive dev.pillion.wasm;
  requires dev.pillion.bundled;
  requires org.snakeyaml.engine.v2;
  requires static cel;
  // The same-machine name resolver checks its registry directory belongs to this user (uid).
  requires jdk.security.auth;

  // Component types from modules of their own (pillion-redis): ComponentLoader.builder().
  uses dev.pillion.block.ComponentTypeProvider;

  exports dev.pillion;
  exports dev.pillion.block;
  exports dev.pillion.config;
  exports dev.pillion.invoke;
  exports dev.pillion.invoke.resolution;
  exports dev.pillion.invoke.resolution.spi;
  exports dev.pillion.invoke.spi;
  exports dev.pillion.pubsub;
  exports dev.pillion.pubsub.spi;
  exports dev.pillion.secrets;
  exports dev.pillion.secrets.spi;
  exports dev.pillion.state;
  exports dev.pillion.state.spi;
}
