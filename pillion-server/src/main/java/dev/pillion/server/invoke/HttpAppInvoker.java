package dev.pillion.server.invoke;

import dev.pillion.invoke.AppUnreachableException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.invoke.spi.AppInvoker;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP app channel of invocation: each invocation becomes a request to the app's {@code
 * /<method>} with the caller's verb, query string, headers (filtered by {@link InvocationHeaders}),
 * content type and body, plus {@code dapr-callee-app-id}; the app's status, headers and body come
 * back unchanged.
 *
 * <p>A Netty HTTP/1.1 client on the server's own event loops: an invocation that arrives on an
 * event loop (the internal endpoint's gRPC calls do) is sent to the app from that same thread, on a
 * keep-alive connection of that loop, and its answer is read there too, so a call crosses no thread
 * on its way to the app and back. Each loop keeps its own idle connections, touched only by that
 * loop (no lock). A request whose write fails on a reused connection (the app closed it while idle)
 * is sent once more on a new connection: nothing of it reached the app.
 */
public final class HttpAppInvoker implements AppInvoker, AutoCloseable {
  private static final AttributeKey<Pending> PENDING =
      AttributeKey.valueOf(HttpAppInvoker.class, "pending");
  private static final int CONNECT_TIMEOUT_MILLIS = 1000;

  private final String appId;
  private final String host;
  private final int port;
  private final String hostHeader;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final ConcurrentHashMap<EventExecutor, ArrayDeque<Channel>> idle =
      new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** An invocation waiting for the app's answer on a connection. */
  private record Pending(CompletableFuture<InvocationResponse> answer, EventLoop loop) {}

  private HttpAppInvoker(
      String appId, String host, int port, EventLoopGroup group, int maxAnswerBytes) {
    this.appId = appId;
    this.host = host;
    this.port = port;
    this.hostHeader = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    this.group = group;
    this.bootstrap =
        new Bootstrap()
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(maxAnswerBytes))
                        .addLast(new AnswerHandler());
                  }
                });
  }

  /**
   * The app channel of an app on a port.
   *
   * @param appId the app's id, for {@code dapr-callee-app-id} and messages
   * @param host the app's host, {@code 127.0.0.1} for an app next to its runtime
   * @param port the app's port
   * @param group the event loops to run on (the server's); not closed by {@link #close()}
   * @param maxAnswerBytes the largest answer body accepted from the app
   * @return the app channel
   */
  public static HttpAppInvoker create(
      String appId, String host, int port, EventLoopGroup group, int maxAnswerBytes) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("app port must be 1..65535, got " + port);
    }
    if (maxAnswerBytes < 1) {
      throw new IllegalArgumentException("maxAnswerBytes must be positive, got " + maxAnswerBytes);
    }
    return new HttpAppInvoker(
        Objects.requireNonNull(appId, "appId"),
        Objects.requireNonNull(host, "host"),
        port,
        Objects.requireNonNull(group, "group"),
        maxAnswerBytes);
  }

  @Override
  public CompletionStage<InvocationResponse> invoke(InvocationRequest request) {
    CompletableFuture<InvocationResponse> answer = new CompletableFuture<>();
    EventLoop loop = currentLoop();
    if (loop.inEventLoop()) {
      send(loop, request, answer, true);
    } else {
      loop.execute(() -> send(loop, request, answer, true));
    }
    return answer;
  }

  /** The calling thread's loop when it is one of the group's, else the next one. */
  private EventLoop currentLoop() {
    for (EventExecutor executor : group) {
      if (executor.inEventLoop()) {
        return (EventLoop) executor;
      }
    }
    return group.next();
  }

  private void send(
      EventLoop loop,
      InvocationRequest request,
      CompletableFuture<InvocationResponse> answer,
      boolean mayReuse) {
    if (closed) {
      answer.completeExceptionally(
          new AppUnreachableException(
              appId, "the runtime is closing; app '" + appId + "' not invoked"));
      return;
    }
    ArrayDeque<Channel> pool =
        mayReuse ? idle.computeIfAbsent(loop, l -> new ArrayDeque<>()) : null;
    Channel reused = null;
    while (pool != null && (reused = pool.pollLast()) != null && !reused.isActive()) {
      reused = null;
    }
    if (reused != null) {
      write(reused, loop, request, answer, true);
      return;
    }
    bootstrap
        .clone(loop)
        .connect(host, port)
        .addListener(
            connected -> {
              if (connected.isSuccess()) {
                write(
                    ((io.netty.channel.ChannelFuture) connected).channel(),
                    loop,
                    request,
                    answer,
                    false);
              } else {
                answer.completeExceptionally(unreachable(connected.cause()));
              }
            });
  }

  private void write(
      Channel channel,
      EventLoop loop,
      InvocationRequest request,
      CompletableFuture<InvocationResponse> answer,
      boolean reused) {
    FullHttpRequest http;
    try {
      http = toHttp(request);
    } catch (IllegalArgumentException e) {
      // A header value or verb HTTP does not allow: nothing is sent, the connection stays usable.
      idle.computeIfAbsent(loop, l -> new ArrayDeque<>()).addLast(channel);
      answer.completeExceptionally(
          new AppUnreachableException(
              appId, "cannot send the invocation to app '" + appId + "': " + e.getMessage(), e));
      return;
    }
    channel.attr(PENDING).set(new Pending(answer, loop));
    channel
        .writeAndFlush(http)
        .addListener(
            written -> {
              if (written.isSuccess()) {
                return;
              }
              channel.attr(PENDING).set(null);
              channel.close();
              if (reused) {
                send(loop, request, answer, false);
              } else {
                answer.completeExceptionally(unreachable(written.cause()));
              }
            });
  }

  private FullHttpRequest toHttp(InvocationRequest request) {
    ByteBuf body = Unpooled.wrappedBuffer(request.body());
    FullHttpRequest http =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.valueOf(request.verb()),
            "/"
                + encodePath(request.method())
                + (request.query().isEmpty() ? "" : "?" + request.query()),
            body);
    InvocationHeaders.request(request.headers(), http.headers()::add);
    http.headers().set(HttpHeaderNames.HOST, hostHeader);
    if (!request.contentType().isEmpty()) {
      http.headers().set(HttpHeaderNames.CONTENT_TYPE, request.contentType());
    }
    if (!appId.isEmpty() && !http.headers().contains(InvocationHeaders.CALLEE_APP_ID)) {
      http.headers().set(InvocationHeaders.CALLEE_APP_ID, appId);
    }
    HttpUtil.setContentLength(http, body.readableBytes());
    return http;
  }

  /** Completes the pending invocation with the app's answer; the connection goes back idle. */
  private final class AnswerHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      Pending pending = ctx.channel().attr(PENDING).getAndSet(null);
      if (pending == null) {
        ctx.close();
        return;
      }
      InvocationResponse answer;
      try {
        answer = toInvocation(response);
      } catch (RuntimeException e) {
        ctx.close();
        pending.answer.completeExceptionally(
            new AppUnreachableException(
                appId, "app '" + appId + "' sent an answer that cannot be passed on: " + e, e));
        return;
      }
      if (HttpUtil.isKeepAlive(response) && !closed) {
        idle.computeIfAbsent(pending.loop, l -> new ArrayDeque<>()).addLast(ctx.channel());
      } else {
        ctx.close();
      }
      pending.answer.complete(answer);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      Pending pending = ctx.channel().attr(PENDING).getAndSet(null);
      if (pending != null) {
        pending.answer.completeExceptionally(
            new AppUnreachableException(
                appId,
                "cannot invoke app '"
                    + appId
                    + "': the app on port "
                    + port
                    + " closed the connection without answering"));
      }
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Pending pending = ctx.channel().attr(PENDING).getAndSet(null);
      ctx.close();
      if (pending != null) {
        pending.answer.completeExceptionally(unreachable(cause));
      }
    }
  }

  private static InvocationResponse toInvocation(FullHttpResponse response) {
    InvocationResponse.Builder answer =
        InvocationResponse.builder().status(response.status().code());
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Map.Entry<String, String> header : response.headers()) {
      headers.computeIfAbsent(header.getKey(), n -> new ArrayList<>()).add(header.getValue());
    }
    InvocationHeaders.response(headers, answer::header);
    String contentType = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
    if (contentType != null) {
      answer.contentType(contentType);
    }
    ByteBuf content = response.content();
    byte[] body = new byte[content.readableBytes()];
    content.getBytes(content.readerIndex(), body);
    return answer.body(body).build();
  }

  private AppUnreachableException unreachable(Throwable cause) {
    String why =
        cause instanceof ConnectException
            ? "the app does not accept connections on port " + port
            : "the app on port " + port + " failed the call: " + cause;
    return new AppUnreachableException(appId, "cannot invoke app '" + appId + "': " + why, cause);
  }

  /** Closes the idle connections; calls in flight finish on theirs. */
  @Override
  public void close() {
    closed = true;
    for (Map.Entry<EventExecutor, ArrayDeque<Channel>> entry : idle.entrySet()) {
      entry
          .getKey()
          .execute(
              () -> {
                Channel channel;
                while ((channel = entry.getValue().pollLast()) != null) {
                  channel.close();
                }
              });
    }
  }

  /** Percent-encodes each segment of a decoded method path (RFC 3986 pchar kept as is). */
  static String encodePath(String method) {
    StringBuilder out = new StringBuilder(method.length() + 8);
    for (byte b : method.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c == '/' || isPchar(c)) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        out.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  private static boolean isPchar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "-._~!$&'()*+,;=:@".indexOf(c) >= 0;
  }
}
