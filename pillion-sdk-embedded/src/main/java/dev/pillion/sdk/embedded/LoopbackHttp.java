package dev.pillion.sdk.embedded;

import dev.pillion.abi.PillionException;
import dev.pillion.server.DaprApi;
import dev.pillion.server.HttpLimits;
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
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Dapr HTTP API of an embedded runtime on a free loopback port, for the SDK calls that only go
 * over HTTP ({@code invokeMethod}, {@code waitForSidecar}). One event loop thread: the handlers run
 * on it and hand anything slow to the runtime asynchronously.
 */
final class LoopbackHttp implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel channel;

  private LoopbackHttp(EventLoopGroup group, Channel channel) {
    this.group = group;
    this.channel = channel;
  }

  static LoopbackHttp start(DaprApi api) {
    HttpApiHandler handler = new HttpApiHandler(api, Optional.empty(), HttpLimits.DEFAULT);
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
      return new LoopbackHttp(group, channel);
    } catch (Exception e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new PillionException(
          "cannot bind the embedded runtime's loopback HTTP listener: " + e.getMessage(), e);
    }
  }

  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(6, TimeUnit.SECONDS);
  }
}
