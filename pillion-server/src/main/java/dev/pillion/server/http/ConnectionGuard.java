package dev.pillion.server.http;

import dev.pillion.server.HttpLimits;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a connection can hold the server: a request must arrive completely within the
 * read timeout of its first byte (else 408 and the connection ends), and a connection without a
 * request in progress is closed after the idle timeout. It also stops reading from a client that
 * does not read its responses, so unread responses cannot pile up in memory.
 *
 * <p>One instance per connection, first in the pipeline (it sees the raw bytes, so a request whose
 * head never completes is caught too); {@link #requestEnd()} goes after the aggregator and tells it
 * when a request has fully arrived. Timers are the event loop's, one at a time.
 */
final class ConnectionGuard extends ChannelInboundHandlerAdapter {
  private static final System.Logger LOG = System.getLogger(ConnectionGuard.class.getName());

  private final long readTimeoutNanos;
  private final long idleTimeoutNanos;
  private final Duration readTimeout;
  private ChannelHandlerContext context;
  private boolean receiving;
  private boolean paused;
  private ScheduledFuture<?> timer;

  ConnectionGuard(HttpLimits limits) {
    this.readTimeout = limits.readTimeout();
    this.readTimeoutNanos = limits.readTimeout().toNanos();
    this.idleTimeoutNanos = limits.idleTimeout().toNanos();
  }

  /**
   * The handler that marks the end of each request; goes after the aggregator.
   *
   * @return a handler for the same connection
   */
  ChannelInboundHandlerAdapter requestEnd() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest) {
          requestReceived();
        }
        ctx.fireChannelRead(msg);
      }
    };
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    context = ctx;
    if (ctx.channel().isActive()) {
      becomeIdle();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (timer == null && !receiving) {
      becomeIdle();
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!receiving && msg instanceof ByteBuf bytes && bytes.isReadable()) {
      receiving = true;
      schedule(readTimeoutNanos, this::readTimedOut);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // Backpressure: a client that does not read its responses is not read from either.
    updateAutoRead();
    ctx.fireChannelWritabilityChanged();
  }

  /**
   * Stops reading from the connection while a request waits for a blocking component, so requests
   * sent after it (pipelined) do not pile up; called on the event loop.
   */
  void pauseReading() {
    paused = true;
    updateAutoRead();
  }

  /** Reads again once the connection has answered everything it received. */
  void resumeReading() {
    paused = false;
    updateAutoRead();
  }

  private void updateAutoRead() {
    if (context != null) {
      context.channel().config().setAutoRead(!paused && context.channel().isWritable());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void requestReceived() {
    receiving = false;
    becomeIdle();
  }

  private void becomeIdle() {
    schedule(idleTimeoutNanos, this::idleTimedOut);
  }

  private void readTimedOut() {
    timer = null;
    if (!receiving || !context.channel().isActive()) {
      return;
    }
    LOG.log(
        System.Logger.Level.DEBUG,
        () -> "request from " + context.channel().remoteAddress() + " timed out");
    DaprHttpResponses.sendAndClose(
        context.channel(),
        context.channel(),
        DaprHttpResponses.malformed(
            HttpResponseStatus.REQUEST_TIMEOUT,
            "the request did not arrive completely within "
                + describe(readTimeout)
                + " (--dapr-http-read-timeout)"));
  }

  private void idleTimedOut() {
    timer = null;
    if (!receiving) {
      LOG.log(
          System.Logger.Level.DEBUG,
          () -> "closing idle connection from " + context.channel().remoteAddress());
      context.close();
    }
  }

  private void schedule(long delayNanos, Runnable task) {
    cancel();
    if (delayNanos > 0 && context != null) {
      timer = context.executor().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private static String describe(Duration duration) {
    return duration.toMillis() % 1000 == 0
        ? duration.toSeconds() + " s"
        : duration.toMillis() + " ms";
  }
}
