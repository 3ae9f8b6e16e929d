package dev.pillion.server;

import dev.pillion.abi.PillionException;
import dev.pillion.server.http.HttpApiHandler;
import dev.pillion.server.http.HttpServerPipeline;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A Dapr API's HTTP face on a free loopback port with default limits and no token, for an embedded
 * runtime whose SDK client sends some calls only over HTTP ({@code invokeMethod}, {@code
 * waitForSidecar}). One event loop thread: the handlers run on it and hand anything slow to the
 * runtime asynchronously. Nothing but this machine can connect.
 */
public final class LoopbackHttpApi implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel channel;

  private LoopbackHttpApi(EventLoopGroup group, Channel channel) {
    this.group = group;
    this.channel = channel;
  }

  /**
   * Binds 127.0.0.1 on a free port and serves the API there.
   *
   * @param api the API to serve
   * @return the listener; close it to release the port
   * @throws PillionException when no port can be bound
   */
  public static LoopbackHttpApi start(DaprApi api) {
    HttpApiHandler handler = new HttpApiHandler(api, HttpLimits.DEFAULT);
    EventLoopGroup group = new NioEventLoopGroup(1);
    try {
      Channel channel =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel socket) {
                      HttpServerPipeline.configure(socket.pipeline(), HttpLimits.DEFAULT, handler);
                    }
                  })
              .bind(new InetSocketAddress("127.0.0.1", 0))
              .sync()
              .channel();
      return new LoopbackHttpApi(group, channel);
    } catch (Exception e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new PillionException(
          "cannot bind the embedded runtime's loopback HTTP listener: " + e.getMessage(), e);
    }
  }

  /**
   * The bound port.
   *
   * @return the port
   */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Stops listening and closes the connections. */
  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(6, TimeUnit.SECONDS);
  }
}
