package dev.pillion.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.server.DaprApi;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.HttpLimits;
import dev.pillion.server.spi.HttpReply;
import dev.pillion.server.spi.HttpRoute;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Dapr's HTTP API: checks the API token, dispatches each request to the route an {@linkplain
 * dev.pillion.server.spi.ApiModule API module} registered ({@link DaprApi}), and renders errors as
 * daprd does, {@code {"errorCode": ..., "message": ...}}. Every request gets exactly one response:
 * a request Netty could not decode is a 400/414/431 that ends the connection, an unexpected failure
 * anywhere is a 500 (logged at WARNING once per kind), and a response that cannot be sent is
 * replaced by a 500.
 *
 * <p>Handlers run on the event loop: a call into an in-memory or Wasm component is microseconds, so
 * handing it to another thread would cost more than it saves. A call into a blocking component
 * completes later, on another thread; until it does, the connection reads no further request and
 * holds any it had already received (pipelined), so responses leave in request order.
 */
@ChannelHandler.Sharable
public final class HttpApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final String TOKEN_HEADER = "dapr-api-token";

  /** The connection's state while a request waits for a blocking component. */
  private static final AttributeKey<Waiting> WAITING =
      AttributeKey.valueOf(HttpApiHandler.class, "waiting");

  private final HttpRouter router;
  private final Optional<byte[]> apiToken;
  private final HttpLimits limits;

  /**
   * Creates a handler that serves every call without a token.
   *
   * @param api the routes, from the registered API modules
   * @param limits the limits the pipeline enforces, named in error messages
   */
  public HttpApiHandler(DaprApi api, HttpLimits limits) {
    this(api, Optional.empty(), limits);
  }

  /**
   * Creates a handler that requires a token.
   *
   * @param api the routes, from the registered API modules
   * @param apiToken the token every call but health checks must carry
   * @param limits the limits the pipeline enforces, named in error messages
   */
  public HttpApiHandler(DaprApi api, String apiToken, HttpLimits limits) {
    this(api, Optional.of(apiToken.getBytes(StandardCharsets.UTF_8)), limits);
  }

  private HttpApiHandler(DaprApi api, Optional<byte[]> apiToken, HttpLimits limits) {
    this.router = new HttpRouter(api.httpRoutes(), api.modules());
    this.apiToken = apiToken;
    this.limits = limits;
  }

  /** A request whose reply is not known yet holds back the ones after it on its connection. */
  private static final class Waiting {
    private final Queue<FullHttpRequest> held = new ArrayDeque<>();
    private boolean busy;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    Waiting waiting = ctx.channel().attr(WAITING).get();
    if (waiting != null && waiting.busy) {
      waiting.held.add(request.retain());
      return;
    }
    handle(ctx, request);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    Waiting waiting = ctx.channel().attr(WAITING).get();
    if (waiting != null) {
      FullHttpRequest held;
      while ((held = waiting.held.poll()) != null) {
        held.release();
      }
    }
    super.channelInactive(ctx);
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (request.decoderResult().isFailure()) {
      DaprHttpResponses.sendAndClose(
          ctx, ctx.channel(), undecodable(request.decoderResult().cause()));
      return;
    }
    CompletableFuture<HttpReply> reply = dispatch(request).toCompletableFuture();
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (reply.isDone()) {
      Supplier<String> description = () -> describe(request);
      respond(ctx, keepAlive, outcome(reply, description), description);
      return;
    }
    // The request is released before the reply is known: describe it now, for the failure log.
    String described = describe(request);
    Supplier<String> description = () -> described;
    Waiting waiting = ctx.channel().attr(WAITING).get();
    if (waiting == null) {
      waiting = new Waiting();
      ctx.channel().attr(WAITING).set(waiting);
    }
    Waiting connection = waiting;
    connection.busy = true;
    guard(ctx).ifPresent(ConnectionGuard::pauseReading);
    reply.whenComplete(
        (result, failure) ->
            ctx.executor()
                .execute(
                    () -> {
                      respond(ctx, keepAlive, outcome(reply, description), description);
                      connection.busy = false;
                      resume(ctx, connection);
                    }));
  }

  /** Handles the requests held while the connection waited, until one has to wait again. */
  private void resume(ChannelHandlerContext ctx, Waiting connection) {
    FullHttpRequest next;
    while (!connection.busy && (next = connection.held.poll()) != null) {
      try {
        handle(ctx, next);
      } finally {
        next.release();
      }
    }
    if (!connection.busy) {
      guard(ctx).ifPresent(ConnectionGuard::resumeReading);
    }
  }

  private static Optional<ConnectionGuard> guard(ChannelHandlerContext ctx) {
    return Optional.ofNullable(ctx.pipeline().get(ConnectionGuard.class));
  }

  /** The route's reply, or the error for a request no route serves or that may not pass. */
  private CompletionStage<HttpReply> dispatch(FullHttpRequest request) {
    try {
      RequestTarget target = RequestTarget.parse(request.uri());
      Optional<HttpRoute> route = router.route(request.method().name(), target.segments());
      if (route.isEmpty() || route.get().apiTokenRequired()) {
        checkToken(request);
      }
      NettyApiRequest api = new NettyApiRequest(request, target, route);
      if (route.isEmpty()) {
        Optional<HttpRoute.Handler> fallback = router.fallback(api);
        if (fallback.isPresent()) {
          return fallback.get().handle(api);
        }
        throw new DaprApiException(router.unrouted(api));
      }
      return route.get().handler().handle(api);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The reply of a completed dispatch; a failure becomes daprd's error, or a logged 500. */
  private static HttpReply outcome(
      CompletableFuture<HttpReply> reply, Supplier<String> description) {
    try {
      return reply.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      while ((cause instanceof CompletionException || cause instanceof ExecutionException)
          && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof DaprApiException api) {
        return error(api.error());
      }
      FailureLog.unexpected("handling " + description.get(), cause);
      return error(DaprApiError.internal(cause));
    }
  }

  /**
   * Anything thrown in this connection's pipeline that no one handled (including errors thrown
   * while handling a request): the request is answered with a 500 and the connection ends, so it
   * never goes silent.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException
        || cause instanceof PrematureChannelClosureException
        || !ctx.channel().isActive()) {
      // The connection is over (reset by the client, or closed while a request was still
      // arriving, after a 408 say): there is no one to answer.
      ctx.close();
      return;
    }
    FailureLog.unexpected("in the HTTP pipeline of " + ctx.channel().remoteAddress(), cause);
    DaprHttpResponses.sendAndClose(
        ctx,
        ctx.channel(),
        DaprHttpResponses.error(
            HttpResponseStatus.INTERNAL_SERVER_ERROR, "ERR_INTERNAL", String.valueOf(cause), true));
  }

  /** The answer to a request Netty could not decode: 414, 431 or 400. */
  private FullHttpResponse undecodable(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return DaprHttpResponses.malformed(
          HttpResponseStatus.REQUEST_URI_TOO_LONG,
          "the request line is longer than "
              + limits.maxRequestLineBytes()
              + " bytes (--read-buffer-size "
              + limits.readBufferBytes()
              + " plus 4 KiB)");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return DaprHttpResponses.malformed(
          HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
          "the request headers are larger than "
              + limits.maxHeaderBytes()
              + " bytes (--read-buffer-size "
              + limits.readBufferBytes()
              + " plus 4 KiB)");
    }
    String reason =
        cause instanceof TooLongFrameException || cause.getMessage() == null
            ? String.valueOf(cause)
            : cause.getMessage();
    return DaprHttpResponses.malformed(
        HttpResponseStatus.BAD_REQUEST,
        "the request is not valid HTTP/1.1: " + RequestTarget.printable(reason));
  }

  private static String describe(FullHttpRequest request) {
    return request.method() + " " + RequestTarget.printable(request.uri());
  }

  private void checkToken(FullHttpRequest request) {
    if (apiToken.isEmpty()) {
      return;
    }
    String given = request.headers().get(TOKEN_HEADER);
    if (given == null
        || !MessageDigest.isEqual(apiToken.get(), given.getBytes(StandardCharsets.UTF_8))) {
      throw new DaprApiException(DaprApiError.unauthorized());
    }
  }

  private static HttpReply error(DaprApiError error) {
    ObjectNode body =
        JsonBody.JSON
            .createObjectNode()
            .put("errorCode", error.errorCode())
            .put("message", error.message());
    return HttpReply.json(error.httpStatus(), body);
  }

  /**
   * Writes the reply, then runs what it asks to run once sent. A reply that cannot be a valid HTTP
   * response (a stored content type with a line break, say) becomes a 500 naming the header; a
   * write that fails closes the connection.
   */
  private static void respond(
      ChannelHandlerContext ctx, boolean keepAlive, HttpReply reply, Supplier<String> description) {
    FullHttpResponse response;
    try {
      response = toResponse(reply, keepAlive);
    } catch (IllegalArgumentException e) {
      FailureLog.unexpected("writing the response to " + description.get(), e);
      response =
          toResponse(
              error(
                  new DaprApiError(
                      500,
                      "ERR_INTERNAL",
                      io.grpc.Status.Code.INTERNAL,
                      "ERR_INTERNAL",
                      "cannot send the response: " + e.getMessage())),
              keepAlive);
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    written.addListener(
        keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
    reply.afterSent().run();
  }

  private static FullHttpResponse toResponse(HttpReply reply, boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(reply.status()),
            Unpooled.wrappedBuffer(reply.body()));
    for (Map.Entry<String, List<String>> header : reply.headerValues().entrySet()) {
      try {
        response.headers().set(header.getKey(), header.getValue());
      } catch (IllegalArgumentException e) {
        response.release();
        throw new IllegalArgumentException(
            "the response header '"
                + RequestTarget.printable(header.getKey())
                + "' would have the value '"
                + RequestTarget.printable(String.join(", ", header.getValue()))
                + "', which HTTP does not allow",
            e);
      }
    }
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    response
        .headers()
        .set(
            HttpHeaderNames.CONNECTION,
            keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    return response;
  }
}
