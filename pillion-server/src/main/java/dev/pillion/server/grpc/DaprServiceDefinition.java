package dev.pillion.server.grpc;

import dev.pillion.server.DaprApiError;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.GrpcMethod;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code dapr.proto.runtime.v1.Dapr} service assembled from the registered modules: each method
 * is served by the one module that registers it; a method of the Dapr SDK's service no module
 * serves answers UNIMPLEMENTED naming the method. Modules may add methods newer than the SDK whose
 * generated service this is (with requests left unread, see {@link #unknownMethod}).
 */
public final class DaprServiceDefinition {
  /** The gRPC service the methods belong to. */
  public static final String GRPC_SERVICE = "dapr.proto.runtime.v1.Dapr";

  private DaprServiceDefinition() {}

  /**
   * Which module serves each method.
   *
   * @param modules the registered modules
   * @return the serving module's name by bare method name, in registration order
   * @throws IllegalStateException when two modules register the same method
   */
  public static Map<String, String> owners(List<ApiModule> modules) {
    Map<String, String> owners = new LinkedHashMap<>();
    for (ApiModule module : modules) {
      for (GrpcMethod method : module.grpcMethods()) {
        String previous = owners.putIfAbsent(method.name(), module.name());
        if (previous != null) {
          throw new IllegalStateException(
              "the gRPC method "
                  + GRPC_SERVICE
                  + "/"
                  + method.name()
                  + " of API module '"
                  + module.name()
                  + "' is already served by API module '"
                  + previous
                  + "'");
        }
      }
    }
    return Collections.unmodifiableMap(owners);
  }

  /**
   * Binds the service.
   *
   * @param modules the registered modules
   * @return the definition to add to a server
   * @throws IllegalStateException when two modules register the same method
   */
  public static ServerServiceDefinition bind(List<ApiModule> modules) {
    owners(modules);
    Map<String, ServerMethodDefinition<?, ?>> methods = new LinkedHashMap<>();
    for (ApiModule module : modules) {
      for (GrpcMethod method : module.grpcMethods()) {
        methods.put(method.name(), method.definition());
      }
    }
    List<ServerMethodDefinition<?, ?>> all = new ArrayList<>();
    for (MethodDescriptor<?, ?> method : DaprGrpc.getServiceDescriptor().getMethods()) {
      ServerMethodDefinition<?, ?> served = methods.remove(method.getBareMethodName());
      all.add(
          served != null
              ? served
              : unimplemented(
                  method,
                  DaprApiError.notImplemented(
                      "the Dapr API method " + GRPC_SERVICE + "/" + method.getBareMethodName())));
    }
    all.addAll(methods.values());
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(GRPC_SERVICE)
            .setSchemaDescriptor(DaprGrpc.getServiceDescriptor().getSchemaDescriptor());
    all.forEach(method -> descriptor.addMethod(method.getMethodDescriptor()));
    ServerServiceDefinition.Builder definition =
        ServerServiceDefinition.builder(descriptor.build());
    all.forEach(definition::addMethod);
    return definition.build();
  }

  /** Messages as bytes, never parsed: for methods whose messages the runtime passes through. */
  public static final MethodDescriptor.Marshaller<byte[]> BYTES =
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

  /**
   * A method the Dapr SDK's generated service does not know: its messages stay bytes, never parsed.
   *
   * @param method the bare method name
   * @return its descriptor
   */
  public static MethodDescriptor<byte[], byte[]> unknownMethod(String method) {
    return MethodDescriptor.newBuilder(BYTES, BYTES)
        .setType(MethodDescriptor.MethodType.UNKNOWN)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(GRPC_SERVICE, method))
        .build();
  }

  /**
   * A method that answers every call at once with an error, whatever its kind (unary or streaming),
   * before reading any request.
   *
   * @param descriptor the method
   * @param error the error, e.g. UNIMPLEMENTED naming the API
   * @param <Q> the request message
   * @param <R> the response message
   * @return the method's definition
   */
  public static <Q, R> ServerMethodDefinition<Q, R> unimplemented(
      MethodDescriptor<Q, R> descriptor, DaprApiError error) {
    StatusRuntimeException status = GrpcErrors.toStatus(error);
    ServerCallHandler<Q, R> handler =
        (call, headers) -> {
          Metadata trailers = status.getTrailers();
          call.close(status.getStatus(), trailers == null ? new Metadata() : trailers);
          return new ServerCall.Listener<>() {};
        };
    return ServerMethodDefinition.create(descriptor, handler);
  }
}
