package dev.pillion.sdk.embedded;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ManagedChannelProvider;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import io.grpc.netty.NettyChannelProvider;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lets the official Dapr Java SDK reach an embedded runtime with no socket. The SDK builds its
 * channel with {@code ManagedChannelBuilder.forTarget}, which asks only the highest-priority
 * provider; this one ranks above Netty, hands out an in-process channel for the reserved host names
 * {@code pillion-embedded-*} ({@link EmbeddedDapr}), and delegates every other target to Netty
 * unchanged.
 */
public final class EmbeddedChannelProvider extends ManagedChannelProvider {
  /** The host-name prefix of embedded runtimes. */
  public static final String HOST_PREFIX = "pillion-embedded-";

  private static final Pattern TARGET_HOST =
      Pattern.compile(
          "^(?:[a-z][a-z0-9+.-]*://[^/]*/)?("
              + Pattern.quote(HOST_PREFIX)
              + "[A-Za-z0-9-]+)(?::\\d+)?$");

  private final NettyChannelProvider netty = new NettyChannelProvider();

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 6;
  }

  static java.util.Optional<String> embeddedName(String target) {
    Matcher matcher = TARGET_HOST.matcher(target);
    return matcher.matches() ? java.util.Optional.of(matcher.group(1)) : java.util.Optional.empty();
  }

  private static ManagedChannelBuilder<?> inProcess(String name) {
    // The embedded server runs handlers on the calling thread too: no executor hand-off on either
    // side.
    return InProcessChannelBuilder.forName(name).directExecutor();
  }

  @Override
  protected ManagedChannelBuilder<?> builderForAddress(String name, int port) {
    return name.startsWith(HOST_PREFIX) ? inProcess(name) : netty.builderForAddress(name, port);
  }

  @Override
  protected ManagedChannelBuilder<?> builderForTarget(String target) {
    return embeddedName(target)
        .<ManagedChannelBuilder<?>>map(EmbeddedChannelProvider::inProcess)
        .orElseGet(() -> netty.builderForTarget(target));
  }

  @Override
  protected NewChannelBuilderResult newChannelBuilder(
      String target, ChannelCredentials credentials) {
    return embeddedName(target)
        .map(name -> NewChannelBuilderResult.channelBuilder(inProcess(name)))
        .orElseGet(() -> netty.newChannelBuilder(target, credentials));
  }

  @Override
  protected Collection<Class<? extends SocketAddress>> getSupportedSocketAddressTypes() {
    return List.of(InetSocketAddress.class, InProcessSocketAddress.class);
  }
}
