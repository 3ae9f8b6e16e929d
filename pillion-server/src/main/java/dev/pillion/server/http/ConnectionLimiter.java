package dev.pillion.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Caps the connections open on the HTTP port. It sits on the listening channel and sees each
 * accepted connection before it is set up: past the cap, the new connection is closed at once (the
 * ones open keep working), and a WARNING says so, at most once every 10 seconds with the count.
 */
@ChannelHandler.Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private static final System.Logger LOG = System.getLogger(ConnectionLimiter.class.getName());
  private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

  /**
   * Creates the limiter.
   *
   * @param maxConnections the most connections open at once
   */
  public ConnectionLimiter(int maxConnections) {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be positive, got " + maxConnections);
    }
    this.maxConnections = maxConnections;
  }

  /**
   * The connections open now.
   *
   * @return the count
   */
  public int openConnections() {
    return open.get();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Channel child)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      child.unsafe().closeForcibly();
      logRefused();
      return;
    }
    child.closeFuture().addListener(closed -> open.decrementAndGet());
    ctx.fireChannelRead(child);
  }

  private void logRefused() {
    refused.incrementAndGet();
    long now = System.nanoTime();
    long last = lastLog.get();
    if (now - last >= LOG_INTERVAL_NANOS && lastLog.compareAndSet(last, now)) {
      long total = refused.getAndSet(0);
      LOG.log(
          System.Logger.Level.WARNING,
          "refused "
              + total
              + " connection(s) to the HTTP API: "
              + maxConnections
              + " are open, the limit (--dapr-http-max-connections)");
    }
  }
}
