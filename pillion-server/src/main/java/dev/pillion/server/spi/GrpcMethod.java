package dev.pillion.server.spi;

import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.grpc.GrpcErrors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * A method of the gRPC service {@code dapr.proto.runtime.v1.Dapr} as a module serves it: its
 * descriptor (usually from the Dapr SDK's generated {@code DaprGrpc}) and its handler. Immutable.
 */
public final class GrpcMethod {
  private final ServerMethodDefinition<?, ?> definition;

  private GrpcMethod(ServerMethodDefinition<?, ?> definition) {
    this.definition = definition;
  }

  /**
   * A unary method whose handler returns its answer as a stage: a result is sent with status OK; a
   * {@link DaprApiException} is sent as daprd's error (status and ErrorInfo), any other failure as
   * INTERNAL.
   *
   * @param descriptor the method's descriptor
   * @param handler maps the request, runs it and renders the response
   * @param <Q> the request message
   * @param <R> the response message
   * @return the method
   */
  public static <Q, R> GrpcMethod unary(
      MethodDescriptor<Q, R> descriptor, Function<Q, CompletionStage<R>> handler) {
    Objects.requireNonNull(handler, "handler");
    return new GrpcMethod(
        ServerMethodDefinition.create(
            Objects.requireNonNull(descriptor, "descriptor"),
            ServerCalls.asyncUnaryCall(
                (request, observer) -> {
                  CompletionStage<R> response;
                  try {
                    response = handler.apply(request);
                  } catch (RuntimeException e) {
                    observer.onError(GrpcErrors.toStatus(errorOf(e)));
                    return;
                  }
                  response.whenComplete(
                      (result, failure) -> {
                        if (failure != null) {
                          observer.onError(GrpcErrors.toStatus(errorOf(failure)));
                        } else {
                          observer.onNext(result);
                          observer.onCompleted();
                        }
                      });
                })));
  }

  /**
   * A bidirectional streaming method.
   *
   * @param descriptor the method's descriptor
   * @param handler given the stream of responses, returns the observer of the requests
   * @param <Q> the request message
   * @param <R> the response message
   * @return the method
   */
  public static <Q, R> GrpcMethod bidiStreaming(
      MethodDescriptor<Q, R> descriptor, Function<StreamObserver<R>, StreamObserver<Q>> handler) {
    Objects.requireNonNull(handler, "handler");
    return new GrpcMethod(
        ServerMethodDefinition.create(
            Objects.requireNonNull(descriptor, "descriptor"),
            ServerCalls.asyncBidiStreamingCall(handler::apply)));
  }

  /**
   * A method with a handler of its own making (a call that must do something after its answer is
   * sent, say).
   *
   * @param definition the method's definition
   * @return the method
   */
  public static GrpcMethod of(ServerMethodDefinition<?, ?> definition) {
    return new GrpcMethod(Objects.requireNonNull(definition, "definition"));
  }

  /**
   * This method with its call's headers available to its handler through {@link GrpcHeaders}. Only
   * the methods that read headers (the trace context of a publish, an invocation's headers) take
   * this: binding the headers to the call's context costs every callback of the call a context
   * switch, which the other methods need not pay.
   *
   * @return the method, reading headers
   */
  public GrpcMethod readingHeaders() {
    return new GrpcMethod(withHeaders(definition));
  }

  private static <Q, R> ServerMethodDefinition<Q, R> withHeaders(
      ServerMethodDefinition<Q, R> definition) {
    ServerInterceptor capture = GrpcHeaders.capture();
    ServerCallHandler<Q, R> handler = definition.getServerCallHandler();
    return ServerMethodDefinition.create(
        definition.getMethodDescriptor(),
        (call, headers) -> capture.interceptCall(call, headers, handler));
  }

  /**
   * The method's name within the service.
   *
   * @return e.g. {@code GetState}
   */
  public String name() {
    return definition.getMethodDescriptor().getBareMethodName();
  }

  /**
   * The definition to add to the service.
   *
   * @return the definition
   */
  public ServerMethodDefinition<?, ?> definition() {
    return definition;
  }

  /** The Dapr error for a failure: its own, or an internal error for anything unanticipated. */
  private static DaprApiError errorOf(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof DaprApiException api ? api.error() : DaprApiError.internal(cause);
  }
}
