/**
 * No-sidecar mode for Dapr Java SDK applications: {@link dev.pillion.sdk.embedded.EmbeddedDapr} and
 * the JVM-wide in-process channel provider the SDK's client needs to reach it. Only applications
 * that embed the runtime take this module.
 */
// The Dapr SDK has no descriptor and no Automatic-Module-Name: its module name comes from its file
// name. EmbeddedDapr hands out the SDK's DaprClient, so the SDK is part of this module's API.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.pillion.sdk.embedded {
  requires transitive dev.pillion.server;
  requires transitive dapr.sdk;
  requires io.grpc.inprocess;
  requires io.grpc.netty;

  exports dev.pillion.sdk.embedded;

  // The module-path twin of META-INF/services/io.grpc.ManagedChannelProvider.
  provides io.grpc.ManagedChannelProvider with
      dev.pillion.sdk.embedded.EmbeddedChannelProvider;
}
