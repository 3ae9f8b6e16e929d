package dev.pillion.server.grpc;

import dev.pillion.server.ApiLog;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Logs each gRPC API call ({@link ApiLog}) with its full method name, status code and duration,
 * when the call ends: when the server closes it, or when the client cancels it (how a streaming
 * subscription usually ends). Installed outermost, so calls refused for a missing token are logged
 * too.
 */
public final class ApiLogInterceptor implements ServerInterceptor {
  /** Creates the interceptor. */
  public ApiLogInterceptor() {}

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long start = System.nanoTime();
    String method = "/" + call.getMethodDescriptor().getFullMethodName();
    AtomicBoolean logged = new AtomicBoolean();
    ServerCall<Q, R> logging =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            if (logged.compareAndSet(false, true)) {
              ApiLog.call("gRPC", method, status.getCode().name(), System.nanoTime() - start);
            }
            super.close(status, trailers);
          }
        };
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
        next.startCall(logging, headers)) {
      @Override
      public void onCancel() {
        if (logged.compareAndSet(false, true)) {
          ApiLog.call("gRPC", method, Status.Code.CANCELLED.name(), System.nanoTime() - start);
        }
        super.onCancel();
      }
    };
  }
}
