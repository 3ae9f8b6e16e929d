package dev.pillion.server.apps;

import com.google.rpc.Code;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls the unary methods of a gRPC service definition in this thread, with no transport: the
 * request is parsed and the response serialized by the method's own marshallers, and the handler
 * runs as it does for a call from the network (the same interceptors, the same errors). What a Wasm
 * app's Dapr imports go through, so that an app gets exactly the gRPC API's answers.
 */
final class DirectGrpcCalls {
  /**
   * The answer to a call: the serialized response, or the {@code google.rpc.Status} of its error.
   */
  record Answer(byte[] bytes, boolean error) {
    static Answer failure(com.google.rpc.Status status) {
      return new Answer(status.toByteArray(), true);
    }

    static Answer failure(Code code, String message) {
      return failure(
          com.google.rpc.Status.newBuilder().setCode(code.getNumber()).setMessage(message).build());
    }
  }

  private final Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();

  DirectGrpcCalls(ServerServiceDefinition service) {
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      if (method.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY) {
        methods.put(method.getMethodDescriptor().getBareMethodName(), method);
      }
    }
  }

  /**
   * Calls a method and waits for its answer.
   *
   * @param method the bare method name, e.g. {@code GetState}
   * @param request the serialized request
   * @param timeout how long to wait for the answer
   * @return the answer; a request that does not parse is an {@code INVALID_ARGUMENT} answer
   * @throws InterruptedException when the calling thread is interrupted while waiting
   */
  Answer call(String method, byte[] request, Duration timeout) throws InterruptedException {
    ServerMethodDefinition<?, ?> definition = methods.get(method);
    if (definition == null) {
      return Answer.failure(Code.UNIMPLEMENTED, "method " + method + " is not served");
    }
    return call(definition, request, timeout);
  }

  private static <Q, R> Answer call(
      ServerMethodDefinition<Q, R> definition, byte[] bytes, Duration timeout)
      throws InterruptedException {
    MethodDescriptor<Q, R> descriptor = definition.getMethodDescriptor();
    Q request;
    try {
      request = descriptor.parseRequest(new ByteArrayInputStream(bytes));
    } catch (RuntimeException e) {
      return Answer.failure(
          Code.INVALID_ARGUMENT,
          "malformed "
              + descriptor.getBareMethodName()
              + " request: "
              + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
    }
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    DirectCall<Q, R> call = new DirectCall<>(descriptor, answer);
    ServerCall.Listener<Q> listener =
        definition.getServerCallHandler().startCall(call, new Metadata());
    listener.onReady();
    listener.onMessage(request);
    listener.onHalfClose();
    try {
      return answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      call.cancelled = true;
      listener.onCancel();
      return Answer.failure(
          Code.DEADLINE_EXCEEDED,
          descriptor.getBareMethodName() + " did not answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      call.cancelled = true;
      listener.onCancel();
      throw e;
    } catch (ExecutionException e) {
      return Answer.failure(Code.INTERNAL, String.valueOf(e.getCause()));
    } finally {
      if (answer.isDone()) {
        listener.onComplete();
      }
    }
  }

  /** A server call whose messages go to a future instead of a transport. */
  private static final class DirectCall<Q, R> extends ServerCall<Q, R> {
    private final MethodDescriptor<Q, R> descriptor;
    private final CompletableFuture<Answer> answer;
    private R response;
    private volatile boolean cancelled;

    DirectCall(MethodDescriptor<Q, R> descriptor, CompletableFuture<Answer> answer) {
      this.descriptor = descriptor;
      this.answer = answer;
    }

    @Override
    public void request(int numMessages) {
      // The one request was handed over already.
    }

    @Override
    public void sendHeaders(Metadata headers) {
      // Headers carry nothing an import returns.
    }

    @Override
    public void sendMessage(R message) {
      this.response = message;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (!status.isOk()) {
        answer.complete(Answer.failure(StatusProto.fromStatusAndTrailers(status, trailers)));
        return;
      }
      if (response == null) {
        answer.complete(Answer.failure(Code.INTERNAL, "the method closed without a response"));
        return;
      }
      try (InputStream stream = descriptor.streamResponse(response)) {
        answer.complete(new Answer(stream.readAllBytes(), false));
      } catch (IOException | StatusRuntimeException e) {
        answer.complete(Answer.failure(Code.INTERNAL, "serializing the response: " + e));
      }
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return descriptor;
    }
  }
}
