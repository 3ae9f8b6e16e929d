package dev.pillion.server.invoke;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A plain grpc-java app (no Dapr service) with a generic byte service {@code pillion.test.Bytes},
 * the target of proxied calls: {@code Echo} (unary: the request back, header {@code x-app-header},
 * trailer {@code x-app-trailer}), {@code Count} (server streaming: the request is a number n, the
 * answer n messages {@code 0..n-1}), {@code Concat} (client streaming), {@code Upper} (bidi: each
 * message upper-cased), {@code Fail} (PERMISSION_DENIED with trailer {@code x-why}) and {@code
 * Hang} (never answers; records its cancellation). Every call's metadata and deadline are recorded.
 */
final class BytesApp implements AutoCloseable {
  static final String SERVICE = "pillion.test.Bytes";

  static final MethodDescriptor.Marshaller<byte[]> BYTES =
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

  static final MethodDescriptor<byte[], byte[]> ECHO =
      method("Echo", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> COUNT =
      method("Count", MethodDescriptor.MethodType.SERVER_STREAMING);
  static final MethodDescriptor<byte[], byte[]> CONCAT =
      method("Concat", MethodDescriptor.MethodType.CLIENT_STREAMING);
  static final MethodDescriptor<byte[], byte[]> UPPER =
      method("Upper", MethodDescriptor.MethodType.BIDI_STREAMING);
  static final MethodDescriptor<byte[], byte[]> FAIL =
      method("Fail", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> HANG =
      method("Hang", MethodDescriptor.MethodType.UNARY);

  static final Metadata.Key<String> APP_HEADER = ascii("x-app-header");
  static final Metadata.Key<String> APP_TRAILER = ascii("x-app-trailer");
  static final Metadata.Key<String> WHY = ascii("x-why");

  /** What one call received. */
  record Received(String method, Metadata headers, Optional<Deadline> deadline) {
    String header(String name) {
      return headers.get(ascii(name));
    }
  }

  final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  volatile CountDownLatch hangStarted = new CountDownLatch(1);
  volatile CountDownLatch hangCancelled = new CountDownLatch(1);
  private final Server server;

  private BytesApp() throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(SERVICE)
            .addMethod(ECHO, BytesApp::echo)
            .addMethod(COUNT, ServerCalls.asyncServerStreamingCall(BytesApp::count))
            .addMethod(CONCAT, ServerCalls.asyncClientStreamingCall(BytesApp::concat))
            .addMethod(UPPER, ServerCalls.asyncBidiStreamingCall(BytesApp::upper))
            .addMethod(
                FAIL,
                ServerCalls.asyncUnaryCall(
                    (request, observer) -> {
                      Metadata trailers = new Metadata();
                      trailers.put(WHY, "the app says no");
                      observer.onError(
                          Status.PERMISSION_DENIED.withDescription("nope").asException(trailers));
                    }))
            .addMethod(HANG, ServerCalls.asyncUnaryCall(this::hang))
            .build();
    ServerInterceptor recorder =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            received.add(
                new Received(
                    call.getMethodDescriptor().getBareMethodName(),
                    headers,
                    Optional.ofNullable(Context.current().getDeadline())));
            return next.startCall(call, headers);
          }
        };
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(service, recorder))
            .build()
            .start();
  }

  static BytesApp start() throws IOException {
    return new BytesApp();
  }

  int port() {
    return server.getPort();
  }

  private static Metadata.Key<String> ascii(String name) {
    return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
  }

  private static MethodDescriptor<byte[], byte[]> method(
      String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.newBuilder(BYTES, BYTES)
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .build();
  }

  /** Raw, to send a header and a trailer of its own. */
  private static ServerCall.Listener<byte[]> echo(ServerCall<byte[], byte[]> call, Metadata in) {
    call.request(1);
    return new ServerCall.Listener<>() {
      private byte[] request = new byte[0];

      @Override
      public void onMessage(byte[] message) {
        request = message;
      }

      @Override
      public void onHalfClose() {
        Metadata headers = new Metadata();
        headers.put(APP_HEADER, "from-app");
        call.sendHeaders(headers);
        call.sendMessage(request);
        Metadata trailers = new Metadata();
        trailers.put(APP_TRAILER, "done");
        call.close(Status.OK, trailers);
      }
    };
  }

  private static void count(byte[] request, StreamObserver<byte[]> observer) {
    int n = Integer.parseInt(new String(request, StandardCharsets.UTF_8));
    for (int i = 0; i < n; i++) {
      observer.onNext(Integer.toString(i).getBytes(StandardCharsets.UTF_8));
    }
    observer.onCompleted();
  }

  private static StreamObserver<byte[]> concat(StreamObserver<byte[]> observer) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    return new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        all.writeBytes(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        observer.onNext(all.toByteArray());
        observer.onCompleted();
      }
    };
  }

  private static StreamObserver<byte[]> upper(StreamObserver<byte[]> observer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        observer.onNext(
            new String(value, StandardCharsets.UTF_8)
                .toUpperCase(java.util.Locale.ROOT)
                .getBytes(StandardCharsets.UTF_8));
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        observer.onCompleted();
      }
    };
  }

  private void hang(byte[] request, StreamObserver<byte[]> observer) {
    CountDownLatch cancelled = hangCancelled;
    ((io.grpc.stub.ServerCallStreamObserver<byte[]>) observer)
        .setOnCancelHandler(cancelled::countDown);
    hangStarted.countDown();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
