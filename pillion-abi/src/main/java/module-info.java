/**
 * The component ABI: the contracts every component implements (generated from {@code proto/}), ABI
 * versions, packing rules and the exception root.
 */
// protobuf-java has no module descriptor, only an Automatic-Module-Name; the contract classes
// extend its types, so every user of this module needs it too.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.pillion.abi {
  requires transitive com.google.protobuf;

  exports dev.pillion.abi;
  exports dev.pillion.abi.keyvalue;
  exports dev.pillion.abi.pubsub;
  exports dev.pillion.abi.redis;
  exports dev.pillion.abi.secretstores;
  exports dev.pillion.abi.state;
}
