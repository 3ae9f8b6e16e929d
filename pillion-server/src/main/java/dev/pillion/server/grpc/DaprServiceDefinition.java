package dev.pillion.server.grpc;

import dev.pillion.server.DaprApiError;
import io.dapr.v1.DaprGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;

/**
 * The {@code dapr.proto.runtime.v1.Dapr} service: the methods Pillion implements, and for every
 * other method a handler answering UNIMPLEMENTED with a message naming the method, instead of
 * gRPC's generic text.
 */
public final class DaprServiceDefinition {
  private DaprServiceDefinition() {}

  /**
   * Binds the service.
   *
   * @param service the implementation
   * @return the definition to add to a server
   */
  public static ServerServiceDefinition bind(DaprGrpcService service) {
    ServerServiceDefinition bound = DaprGrpc.bindService(service);
    ServerServiceDefinition.Builder definition =
        ServerServiceDefinition.builder(DaprGrpc.getServiceDescriptor());
    for (ServerMethodDefinition<?, ?> method : bound.getMethods()) {
      definition.addMethod(serve(method));
    }
    return definition.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> serve(ServerMethodDefinition<Q, R> method) {
    return implemented(method.getMethodDescriptor().getBareMethodName())
        ? method
        : unimplemented(method.getMethodDescriptor());
  }

  private static boolean implemented(String method) {
    return switch (method) {
      case "GetState",
              "GetBulkState",
              "SaveState",
              "DeleteState",
              "DeleteBulkState",
              "ExecuteStateTransaction",
              "GetMetadata",
              "PublishEvent",
              "BulkPublishEvent",
              "BulkPublishEventAlpha1",
              "SubscribeTopicEventsAlpha1",
              "Shutdown" ->
          true;
      default -> false;
    };
  }

  /** Fails a streaming call at once and ignores whatever the client still sends. */
  private static <Q, R> io.grpc.stub.StreamObserver<Q> refuse(
      io.grpc.stub.StreamObserver<R> observer, DaprApiError error) {
    observer.onError(GrpcErrors.toStatus(error));
    return new io.grpc.stub.StreamObserver<>() {
      @Override
      public void onNext(Q value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  private static <Q, R> ServerMethodDefinition<Q, R> unimplemented(
      MethodDescriptor<Q, R> descriptor) {
    DaprApiError error =
        DaprApiError.notImplemented(
            descriptor.getBareMethodName() + " (" + descriptor.getFullMethodName() + ")");
    ServerCallHandler<Q, R> handler =
        switch (descriptor.getType()) {
          case UNARY ->
              ServerCalls.asyncUnaryCall(
                  (request, observer) -> observer.onError(GrpcErrors.toStatus(error)));
          case SERVER_STREAMING ->
              ServerCalls.asyncServerStreamingCall(
                  (request, observer) -> observer.onError(GrpcErrors.toStatus(error)));
          case CLIENT_STREAMING ->
              ServerCalls.asyncClientStreamingCall(observer -> refuse(observer, error));
          default -> ServerCalls.asyncBidiStreamingCall(observer -> refuse(observer, error));
        };
    return ServerMethodDefinition.create(descriptor, handler);
  }
}
