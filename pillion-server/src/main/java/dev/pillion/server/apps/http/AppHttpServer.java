package dev.pillion.server.apps.http;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.pillion.server.http.DaprHttpResponses;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequest;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponse;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.ListStringValue;
import dev.pillion.server.invoke.InternalMessages;
import dev.pillion.server.invoke.InvocationHeaders;
import io.dapr.v1.CommonProtos.HTTPExtension;
import io.dapr.v1.CommonProtos.InvokeRequest;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * The HTTP trigger of a hosted app: every request to the app's port becomes one {@code
 * InternalInvokeRequest} (verb, path as the method, query, headers, body) for its handler (a Wasm
 * app's {@code app_on_invoke}), and the handler's answer the response (status, headers, body). The
 * handler runs on a worker, never on the event loop.
 */
public final class AppHttpServer implements AutoCloseable {
  /** Answers an app's requests, as a Wasm app's {@code app_on_invoke} does. */
  @FunctionalInterface
  public interface Handler {
    /**
     * Answers a request.
     *
     * @param request the request
     * @return the answer (status 0 reads as 200)
     * @throws RuntimeException when the app fails: a 500 naming the failure
     */
    InternalInvokeResponse handle(InternalInvokeRequest request);
  }

  private static final System.Logger LOG = System.getLogger(AppHttpServer.class.getName());

  private final Channel channel;

  private AppHttpServer(Channel channel) {
    this.channel = channel;
  }

  /**
   * Serves an app's routes.
   *
   * @param appId the app's id, for messages
   * @param handler answers its requests
   * @param bindAddress the address to listen on
   * @param port the port (0: a free one)
   * @param maxBodyBytes the largest request body (a larger one is answered 413)
   * @param group the event loops (shared by every app's server)
   * @param handlers the threads the handler runs on
   * @return the listening server
   * @throws InterruptedException when interrupted while binding
   */
  public static AppHttpServer start(
      String appId,
      Handler handler,
      String bindAddress,
      int port,
      int maxBodyBytes,
      EventLoopGroup group,
      Executor handlers)
      throws InterruptedException {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(maxBodyBytes))
                        .addLast(new RequestHandler(appId, handler, handlers));
                  }
                });
    Channel channel = bootstrap.bind(new InetSocketAddress(bindAddress, port)).sync().channel();
    return new AppHttpServer(channel);
  }

  /**
   * The port the server listens on.
   *
   * @return the port
   */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }

  /** The request as the app's {@code app_on_invoke} takes it. */
  static InternalInvokeRequest toInternal(FullHttpRequest request) {
    String uri = request.uri();
    int question = uri.indexOf('?');
    String path = question < 0 ? uri : uri.substring(0, question);
    String query = question < 0 ? "" : uri.substring(question + 1);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    request
        .headers()
        .forEach(
            h -> headers.computeIfAbsent(h.getKey(), k -> new ArrayList<>()).add(h.getValue()));
    InternalInvokeRequest.Builder internal = InternalInvokeRequest.newBuilder();
    Map<String, ListStringValue.Builder> metadata = new LinkedHashMap<>();
    InvocationHeaders.request(
        headers,
        (name, value) ->
            metadata.computeIfAbsent(name, n -> ListStringValue.newBuilder()).addValues(value));
    metadata.forEach((name, values) -> internal.putMetadata(name, values.build()));
    String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
    internal.setMessage(
        InvokeRequest.newBuilder()
            .setMethod(path.startsWith("/") ? path.substring(1) : path)
            .setContentType(contentType)
            .setData(
                Any.newBuilder()
                    .setValue(ByteString.copyFrom(ByteBufUtil.getBytes(request.content()))))
            .setHttpExtension(
                HTTPExtension.newBuilder()
                    .setVerb(InternalMessages.verb(request.method().name()))
                    .setQuerystring(query)));
    return internal.build();
  }

  private static final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final String appId;
    private final Handler handler;
    private final Executor handlers;

    RequestHandler(String appId, Handler handler, Executor handlers) {
      this.appId = appId;
      this.handler = handler;
      this.handlers = handlers;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (!request.decoderResult().isSuccess()) {
        write(ctx, error(HttpResponseStatus.BAD_REQUEST, "malformed request"), false);
        return;
      }
      InternalInvokeRequest internal;
      try {
        internal = toInternal(request);
      } catch (IllegalArgumentException e) {
        write(ctx, error(HttpResponseStatus.METHOD_NOT_ALLOWED, e.getMessage()), keepAlive);
        return;
      }
      CompletableFuture.supplyAsync(() -> handler.handle(internal), handlers)
          .whenComplete(
              (answer, failure) -> {
                FullHttpResponse response = failure == null ? toHttp(answer) : failed(failure);
                ctx.executor().execute(() -> write(ctx, response, keepAlive));
              });
    }

    private FullHttpResponse failed(Throwable failure) {
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      LOG.log(System.Logger.Level.INFO, "app '" + appId + "': " + cause.getMessage());
      return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, cause.getMessage());
    }

    private static FullHttpResponse toHttp(InternalInvokeResponse answer) {
      int code = answer.getStatus().getCode() == 0 ? 200 : answer.getStatus().getCode();
      if (code < 100 || code > 599) {
        return error(
            HttpResponseStatus.BAD_GATEWAY,
            "the app answered status " + code + ", not an HTTP status");
      }
      byte[] body = answer.getMessage().getData().getValue().toByteArray();
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code), Unpooled.wrappedBuffer(body));
      Map<String, List<String>> headers = new LinkedHashMap<>();
      answer.getHeadersMap().forEach((name, values) -> headers.put(name, values.getValuesList()));
      InvocationHeaders.response(headers, (name, value) -> response.headers().add(name, value));
      String contentType = answer.getMessage().getContentType();
      if (!contentType.isEmpty()) {
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
      }
      return response;
    }

    private static FullHttpResponse error(HttpResponseStatus status, String message) {
      // Connection is set again when the response is written, as for the app's own answers.
      return DaprHttpResponses.error(status, "ERR_APP_HANDLER", String.valueOf(message), false);
    }

    private static void write(
        ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
      HttpUtil.setContentLength(response, response.content().readableBytes());
      if (keepAlive) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(response);
      } else {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(System.Logger.Level.DEBUG, "app '" + appId + "' connection failed", cause);
      ctx.close();
    }
  }
}
