/**
 * Dapr's HTTP and gRPC APIs over Pillion's building blocks, with daprd's errors: {@link
 * dev.pillion.server.PillionServer}, {@link dev.pillion.server.DaprApi} and the API-module SPI
 * ({@code dev.pillion.server.spi}) through which each block contributes its routes and methods.
 */
// The Dapr SDK's generated API (io.dapr.v1) and Google's common protos (com.google.rpc) have no
// descriptor and no Automatic-Module-Name: their module names come from their file names.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.pillion.server {
  requires transitive dev.pillion.core;
  requires transitive io.grpc;
  requires transitive dapr.sdk.autogen;
  requires io.grpc.stub;
  requires io.grpc.netty;
  requires io.grpc.protobuf;
  requires proto.google.common.protos;
  requires io.netty.buffer;
  requires io.netty.codec;
  requires io.netty.codec.http;
  requires io.netty.common;
  requires io.netty.handler;
  requires io.netty.transport;
  requires com.fasterxml.jackson.databind;
  requires java.net.http;
  requires jdk.management;
  // Not used here: resolves pillion-core's optional CEL on the module path, so that subscription
  // routing rules work in the server as they do on the class path.
  requires cel;
  // The generated stubs of Dapr's internal protocol (futures of ListenableFuture).
  requires com.google.common;

  exports dev.pillion.server;
  exports dev.pillion.server.spi;
  exports dev.pillion.server.apps;
}
