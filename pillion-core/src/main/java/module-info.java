/**
 * Pillion's building blocks with Dapr's semantics (state, pub/sub, secrets) behind one SPI, the
 * component loader, Dapr's resource YAML and the embedded runtime ({@link dev.pillion.Pillion}).
 * Exports the facade, each block's API and {@code spi} package, the building-block SPI and the
 * configuration package; the Wasm adapters ({@code *.wasm}) stay inside.
 */
// CEL has no descriptor and no Automatic-Module-Name, so its module name comes from its file name;
// it is optional (static): only subscription routing rules need it (dev.pillion.pubsub.CelRules).
@SuppressWarnings("requires-automatic")
module dev.pillion.core {
  requires transitive dev.pillion.wasm;
  requires dev.pillion.bundled;
  requires org.snakeyaml.engine.v2;
  requires com.fasterxml.jackson.databind;
  requires static cel;

  exports dev.pillion;
  exports dev.pillion.block;
  exports dev.pillion.config;
  exports dev.pillion.pubsub;
  exports dev.pillion.pubsub.spi;
  exports dev.pillion.secrets;
  exports dev.pillion.secrets.spi;
  exports dev.pillion.state;
  exports dev.pillion.state.spi;
}
