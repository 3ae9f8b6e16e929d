package dev.pillion.server.invoke;

import dev.pillion.abi.PillionException;
import dev.pillion.invoke.AppUnhealthyException;
import dev.pillion.invoke.AppUnreachableException;
import dev.pillion.invoke.InvalidMethodException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationService;
import dev.pillion.server.internals.v1.ServiceInvocationGrpc;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequest;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * A runtime's internal endpoint: Dapr's {@code ServiceInvocation/CallLocal} on its own port ({@code
 * --dapr-internal-grpc-port}), handing each request to the runtime's app (an in-process handler or
 * its app channel). The app's status and headers travel inside the answer; a gRPC error means the
 * app was not reached. {@code CallLocalStream} answers UNIMPLEMENTED (callers fall back to {@code
 * CallLocal}, as daprd does with an older sidecar). Any other method is a gRPC call another runtime
 * proxies to this runtime's app by {@code dapr-callee-app-id} ({@link GrpcProxy}). Not Dapr's
 * public API: no API token.
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
              .addService(new Service(invocation))
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
    private final InvocationService invocation;

    Service(InvocationService invocation) {
      this.invocation = invocation;
    }

    @Override
    public void callLocal(
        InternalInvokeRequest request, StreamObserver<InternalInvokeResponse> observer) {
      InvocationRequest invocationRequest;
      try {
        invocationRequest = InternalMessages.fromInternal(request);
      } catch (InvalidMethodException | IllegalArgumentException e) {
        observer.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
        return;
      }
      invocation
          .serve(invocationRequest)
          .whenComplete(
              (response, failure) -> {
                if (failure == null) {
                  observer.onNext(InternalMessages.toInternal(response));
                  observer.onCompleted();
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
                observer.onError(
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
