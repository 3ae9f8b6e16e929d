package dev.pillion.server.invoke;

import dev.pillion.invoke.AppUnreachableException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.invoke.resolution.AppAddress;
import dev.pillion.invoke.spi.RemoteInvoker;
import dev.pillion.server.internals.v1.ServiceInvocationGrpc;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.ConnectException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Calls another runtime's internal endpoint with {@code ServiceInvocation/CallLocal}, plaintext
 * channels kept for reuse, one per address and event loop of the server. A connection the address
 * refuses is reported as {@link RemoteInvoker.RefusedException}, so the caller can report it to
 * name resolution and try the next address.
 */
public final class GrpcRemoteInvoker implements RemoteInvoker {
  private final int maxMessageBytes;
  private final io.netty.channel.EventLoopGroup group;
  private final ConcurrentHashMap<ChannelKey, ManagedChannel> channels = new ConcurrentHashMap<>();

  /** A channel per target and event loop: a call made on a loop is answered on that loop. */
  private record ChannelKey(AppAddress address, io.netty.channel.EventLoop loop) {}

  private volatile boolean closed;

  private GrpcRemoteInvoker(int maxMessageBytes, io.netty.channel.EventLoopGroup group) {
    this.maxMessageBytes = maxMessageBytes;
    this.group = group;
  }

  /**
   * An invoker.
   *
   * @param maxMessageBytes the largest answer accepted (the body limit plus room for headers)
   * @param group the event loops its connections run on (the server's; not closed here)
   * @return the invoker; close it to close its channels
   */
  public static GrpcRemoteInvoker create(
      int maxMessageBytes, io.netty.channel.EventLoopGroup group) {
    if (maxMessageBytes < 1) {
      throw new IllegalArgumentException(
          "maxMessageBytes must be positive, got " + maxMessageBytes);
    }
    return new GrpcRemoteInvoker(maxMessageBytes, java.util.Objects.requireNonNull(group, "group"));
  }

  @Override
  public CompletionStage<InvocationResponse> invoke(
      AppAddress address, String appId, String namespace, InvocationRequest request) {
    CompletableFuture<InvocationResponse> answer = new CompletableFuture<>();
    if (closed) {
      answer.completeExceptionally(
          new AppUnreachableException(
              appId, "the runtime is closing; app '" + appId + "' not invoked"));
      return answer;
    }
    ServiceInvocationGrpc.newStub(channel(address))
        .callLocal(
            InternalMessages.toInternal(request),
            new StreamObserver<>() {
              @Override
              public void onNext(InternalInvokeResponse response) {
                try {
                  answer.complete(InternalMessages.fromInternal(response));
                } catch (RuntimeException e) {
                  answer.completeExceptionally(
                      new AppUnreachableException(
                          appId,
                          "the runtime of app '"
                              + appId
                              + "' at "
                              + address.authority()
                              + " sent an answer that cannot be read: "
                              + e.getMessage(),
                          e));
                }
              }

              @Override
              public void onError(Throwable failure) {
                answer.completeExceptionally(failed(address, appId, namespace, failure));
              }

              @Override
              public void onCompleted() {
                if (!answer.isDone()) {
                  answer.completeExceptionally(
                      new AppUnreachableException(
                          appId,
                          "the runtime of app '"
                              + appId
                              + "' at "
                              + address.authority()
                              + " closed the call without an answer"));
                }
              }
            });
    return answer;
  }

  private static AppUnreachableException failed(
      AppAddress address, String appId, String namespace, Throwable failure) {
    Status status = Status.fromThrowable(failure);
    if (status.getCode() == Status.Code.UNAVAILABLE && refused(failure)) {
      return new RemoteInvoker.RefusedException(
          appId,
          "the runtime of app '"
              + appId
              + "' (namespace '"
              + namespace
              + "') at "
              + address.authority()
              + " refuses connections",
          failure);
    }
    String description = status.getDescription() == null ? "" : ": " + status.getDescription();
    return new AppUnreachableException(
        appId,
        "the runtime of app '"
            + appId
            + "' at "
            + address.authority()
            + " answered "
            + status.getCode()
            + description,
        failure);
  }

  private static boolean refused(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  private ManagedChannel channel(AppAddress address) {
    io.netty.channel.EventLoop loop = currentLoop();
    return channels.computeIfAbsent(
        new ChannelKey(address, loop),
        key ->
            NettyChannelBuilder.forAddress(address.host(), address.port())
                .usePlaintext()
                // One loop per channel, the caller's: the answer arrives on the thread that asked
                // (the HTTP API's loop), so the call crosses no thread on the caller's side.
                .eventLoopGroup(loop)
                .channelType(io.netty.channel.socket.nio.NioSocketChannel.class)
                .directExecutor()
                .maxInboundMessageSize(maxMessageBytes)
                .build());
  }

  /** The calling thread's loop when it is one of the group's, else the next one. */
  private io.netty.channel.EventLoop currentLoop() {
    for (io.netty.util.concurrent.EventExecutor executor : group) {
      if (executor.inEventLoop()) {
        return (io.netty.channel.EventLoop) executor;
      }
    }
    return group.next();
  }

  /** Closes every channel; calls in flight are cancelled after a second. */
  @Override
  public void close() {
    closed = true;
    for (ManagedChannel channel : channels.values()) {
      channel.shutdown();
    }
    for (ManagedChannel channel : channels.values()) {
      try {
        if (!channel.awaitTermination(1, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    channels.clear();
  }
}
