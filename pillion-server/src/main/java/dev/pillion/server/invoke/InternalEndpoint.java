package dev.pillion.server.invoke;

import com.google.protobuf.ByteString;
import dev.pillion.abi.PillionException;
import dev.pillion.invoke.AppUnhealthyException;
import dev.pillion.invoke.AppUnreachableException;
import dev.pillion.invoke.InvalidMethodException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.invoke.InvocationService;
import dev.pillion.server.internals.v1.ServiceInvocationGrpc;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequest;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequestStream;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponse;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponseStream;
import io.dapr.v1.CommonProtos.StreamPayload;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A runtime's internal endpoint: Dapr's {@code ServiceInvocation/CallLocal} on its own port ({@code
 * --dapr-internal-grpc-port}), handing each request to the runtime's app (an in-process handler or
 * its app channel), and {@code CallLocalStream}, the same with the bodies in numbered chunks (as
 * daprd sends HTTP invocations). The app's status and headers travel inside the answer; a gRPC
 * error means the app was not reached. Any other method is a gRPC call another runtime proxies to
 * this runtime's app by {@code dapr-callee-app-id} ({@link GrpcProxy}). Not Dapr's public API: no
 * API token.
 */
public final class InternalEndpoint implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(InternalEndpoint.class.getName());

  private final Server server;

  private InternalEndpoint(Server server) {
    this.server = server;
  }

  /**
   * Binds and starts the endpoint.
   *
   * @param bindAddress the address to bind
   * @param port the port, 0 for a free one
   * @param invocation the runtime's invocation
   * @param maxMessageBytes the largest request accepted
   * @param boss the event loop accepting connections (the caller's; not closed here)
   * @param workers the event loops serving them (the caller's; not closed here)
   * @param proxied serves every other method: gRPC calls other runtimes proxy to this runtime's app
   *     ({@link GrpcProxy#internalRegistry()})
   * @return the endpoint
   * @throws PillionException when the port cannot be bound
   */
  public static InternalEndpoint start(
      String bindAddress,
      int port,
      InvocationService invocation,
      int maxMessageBytes,
      io.netty.channel.EventLoopGroup boss,
      io.netty.channel.EventLoopGroup workers,
      io.grpc.HandlerRegistry proxied) {
    try {
      Server server =
          NettyServerBuilder.forAddress(new InetSocketAddress(bindAddress, port))
              // The server's own loops: the HTTP app channel then answers on the thread that
              // received the call (see HttpAppInvoker), and the process has no extra threads.
              .bossEventLoopGroup(boss)
              .workerEventLoopGroup(workers)
              .channelType(io.netty.channel.socket.nio.NioServerSocketChannel.class)
              // serve() hands over to an in-process handler or an asynchronous app channel.
              .directExecutor()
              .maxInboundMessageSize(maxMessageBytes)
              .addService(new Service(invocation, maxMessageBytes))
              .fallbackHandlerRegistry(proxied)
              .build()
              .start();
      return new InternalEndpoint(server);
    } catch (IOException e) {
      throw new PillionException(
          "cannot bind the internal invocation endpoint (--dapr-internal-grpc-port) to "
              + bindAddress
              + ":"
              + port
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * The bound port.
   *
   * @return the port
   */
  public int port() {
    return server.getPort();
  }

  /**
   * Stops accepting calls and waits for those in flight, up to a grace period.
   *
   * @param grace how long to wait
   */
  public void close(Duration grace) {
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  private static final class Service extends ServiceInvocationGrpc.ServiceInvocationImplBase {
    /** How much of an answer's body one CallLocalStream message carries. */
    private static final int RESPONSE_CHUNK_BYTES = 64 * 1024;

    private final InvocationService invocation;
    private final int maxBodyBytes;

    Service(InvocationService invocation, int maxBodyBytes) {
      this.invocation = invocation;
      this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void callLocal(
        InternalInvokeRequest request, StreamObserver<InternalInvokeResponse> observer) {
      serve(
          request,
          observer::onError,
          response -> {
            observer.onNext(InternalMessages.toInternal(response));
            observer.onCompleted();
          });
    }

    /**
     * daprd's streamed form of {@code CallLocal}: the request's body arrives in numbered chunks
     * after a leading message that carries the rest of the request; the app's answer leaves the
     * same way. The app channels take whole bodies, so the chunks are gathered (up to the limit
     * {@code CallLocal} has for one message) and the app is called when the caller half-closes.
     */
    @Override
    public StreamObserver<InternalInvokeRequestStream> callLocalStream(
        StreamObserver<InternalInvokeResponseStream> observer) {
      return new StreamObserver<>() {
        private InternalInvokeRequest leading;
        // A rope of the payloads: gathering copies nothing.
        private ByteString body = ByteString.EMPTY;
        private long expectedSeq;
        private boolean failed;

        @Override
        public void onNext(InternalInvokeRequestStream chunk) {
          if (failed) {
            return;
          }
          String problem = accept(chunk);
          if (problem != null) {
            failed = true;
            observer.onError(
                (problem.startsWith("the streamed request body")
                        ? Status.RESOURCE_EXHAUSTED
                        : Status.INVALID_ARGUMENT)
                    .withDescription("CallLocalStream: " + problem)
                    .asException());
          }
        }

        /** Takes one chunk; what is wrong with it, or null. */
        private String accept(InternalInvokeRequestStream chunk) {
          if (leading == null) {
            if (!chunk.hasRequest() || !chunk.getRequest().hasMessage()) {
              return "the leading chunk carries no request (request.message is required)";
            }
            if (!chunk.getRequest().getMessage().getData().getValue().isEmpty()) {
              return "the leading chunk's request carries data; the body travels in payloads";
            }
            leading = chunk.getRequest();
          } else if (chunk.hasRequest()) {
            return "request found in a chunk after the leading one";
          }
          if (chunk.hasPayload()) {
            long seq = chunk.getPayload().getSeq();
            if (seq != expectedSeq) {
              return "invalid sequence number received: "
                  + Long.toUnsignedString(seq)
                  + " (expected: "
                  + expectedSeq
                  + ")";
            }
            expectedSeq++;
            if ((long) body.size() + chunk.getPayload().getData().size() > maxBodyBytes) {
              return "the streamed request body passes the limit of "
                  + maxBodyBytes
                  + " bytes (--max-body-size)";
            }
            body = body.concat(chunk.getPayload().getData());
          }
          return null;
        }

        @Override
        public void onError(Throwable failure) {
          // The caller cancelled or the connection broke: nothing was sent to the app.
          failed = true;
        }

        @Override
        public void onCompleted() {
          if (failed) {
            return;
          }
          if (leading == null) {
            observer.onError(
                Status.INVALID_ARGUMENT
                    .withDescription("CallLocalStream: the caller sent no request")
                    .asException());
            return;
          }
          InternalInvokeRequest whole =
              leading.toBuilder()
                  .setMessage(
                      leading.getMessage().toBuilder()
                          .setData(leading.getMessage().getData().toBuilder().setValue(body)))
                  .build();
          serve(whole, observer::onError, response -> answerInChunks(response, observer));
        }
      };
    }

    private static void answerInChunks(
        InvocationResponse response, StreamObserver<InternalInvokeResponseStream> observer) {
      InternalInvokeResponse whole = InternalMessages.toInternal(response);
      ByteString data = whole.getMessage().getData().getValue();
      InternalInvokeResponse withoutData =
          whole.toBuilder()
              .setMessage(
                  whole.getMessage().toBuilder()
                      .setData(whole.getMessage().getData().toBuilder().clearValue()))
              .build();
      InternalInvokeResponseStream.Builder first =
          InternalInvokeResponseStream.newBuilder().setResponse(withoutData);
      long seq = 0;
      int offset = 0;
      if (data.isEmpty()) {
        observer.onNext(first.build());
      }
      while (offset < data.size()) {
        int end = Math.min(data.size(), offset + RESPONSE_CHUNK_BYTES);
        StreamPayload payload =
            StreamPayload.newBuilder().setData(data.substring(offset, end)).setSeq(seq++).build();
        observer.onNext(
            offset == 0
                ? first.setPayload(payload).build()
                : InternalInvokeResponseStream.newBuilder().setPayload(payload).build());
        offset = end;
      }
      observer.onCompleted();
    }

    /** Hands a request to the app; a gRPC error when the app cannot be reached. */
    private void serve(
        InternalInvokeRequest request,
        Consumer<Throwable> failed,
        Consumer<InvocationResponse> answered) {
      InvocationRequest invocationRequest;
      try {
        invocationRequest = InternalMessages.fromInternal(request);
      } catch (InvalidMethodException | IllegalArgumentException e) {
        failed.accept(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
        return;
      }
      invocation
          .serve(invocationRequest)
          .whenComplete(
              (response, failure) -> {
                if (failure == null) {
                  answered.accept(response);
                  return;
                }
                Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                if (!(cause instanceof AppUnreachableException)) {
                  LOG.log(
                      System.Logger.Level.WARNING,
                      "invocation of " + invocationRequest + " failed unexpectedly",
                      cause);
                }
                // An unhealthy app is daprd's INTERNAL (its channels answer that), which daprd
                // callers report as is; an unreachable one is UNAVAILABLE.
                failed.accept(
                    (cause instanceof AppUnreachableException
                                && !(cause instanceof AppUnhealthyException)
                            ? Status.UNAVAILABLE
                            : Status.INTERNAL)
                        .withDescription(cause.getMessage())
                        .asException());
              });
    }
  }
}
