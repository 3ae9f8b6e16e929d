package dev.pillion.server.grpc;

import dev.pillion.server.UnimplementedApis;
import io.dapr.v1.DaprGrpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code dapr.proto.runtime.v1.Dapr} service: the methods Pillion implements, and for every
 * other method daprd has a handler answering UNIMPLEMENTED with a message naming the API (see
 * {@link UnimplementedApis}), instead of gRPC's generic text. That includes daprd's methods newer
 * than the Dapr SDK whose generated service this is (they are added to the service by name, with
 * requests left unread).
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
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    Set<String> known = new HashSet<>();
    for (ServerMethodDefinition<?, ?> method : bound.getMethods()) {
      methods.add(serve(method));
      known.add(method.getMethodDescriptor().getBareMethodName());
    }
    for (String method : UnimplementedApis.grpcMethods()) {
      if (!known.contains(method)) {
        methods.add(unimplemented(unknownMethod(method)));
      }
    }
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(UnimplementedApis.GRPC_SERVICE)
            .setSchemaDescriptor(DaprGrpc.getServiceDescriptor().getSchemaDescriptor());
    methods.forEach(method -> descriptor.addMethod(method.getMethodDescriptor()));
    ServerServiceDefinition.Builder definition =
        ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(definition::addMethod);
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
              "SetMetadata",
              "PublishEvent",
              "BulkPublishEvent",
              "BulkPublishEventAlpha1",
              "SubscribeTopicEventsAlpha1",
              "Shutdown" ->
          true;
      default -> false;
    };
  }

  /** A method the generated service does not know: its messages stay bytes, never parsed. */
  private static MethodDescriptor<byte[], byte[]> unknownMethod(String method) {
    MethodDescriptor.Marshaller<byte[]> bytes =
        new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(InputStream stream) {
            try {
              return stream.readAllBytes();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
        };
    return MethodDescriptor.newBuilder(bytes, bytes)
        .setType(MethodDescriptor.MethodType.UNKNOWN)
        .setFullMethodName(
            MethodDescriptor.generateFullMethodName(UnimplementedApis.GRPC_SERVICE, method))
        .build();
  }

  /**
   * Answers every call at once, whatever its kind (unary or streaming), before reading any request.
   */
  private static <Q, R> ServerMethodDefinition<Q, R> unimplemented(
      MethodDescriptor<Q, R> descriptor) {
    StatusRuntimeException error =
        GrpcErrors.toStatus(UnimplementedApis.grpc(descriptor.getBareMethodName()));
    ServerCallHandler<Q, R> handler =
        (call, headers) -> {
          Metadata trailers = error.getTrailers();
          call.close(error.getStatus(), trailers == null ? new Metadata() : trailers);
          return new ServerCall.Listener<>() {};
        };
    return ServerMethodDefinition.create(descriptor, handler);
  }
}
