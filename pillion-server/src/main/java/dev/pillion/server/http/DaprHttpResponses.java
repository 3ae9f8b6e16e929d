package dev.pillion.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Responses the transport writes on its own (malformed, oversized or too slow requests), with
 * daprd's JSON error body, and the way a connection is ended after one.
 */
public final class DaprHttpResponses {
  /** How long a connection may linger, half-closed, for the client to read a final error. */
  private static final long LINGER_MILLIS = 1000;

  private DaprHttpResponses() {}

  /**
   * A response with daprd's error body, {@code {"errorCode": ..., "message": ...}}.
   *
   * @param status the HTTP status
   * @param errorCode e.g. {@code ERR_MALFORMED_REQUEST}
   * @param message what was wrong
   * @param close whether it announces {@code Connection: close}
   * @return the response
   */
  public static FullHttpResponse error(
      HttpResponseStatus status, String errorCode, String message, boolean close) {
    ObjectNode body =
        JsonNodeFactory.instance.objectNode().put("errorCode", errorCode).put("message", message);
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    response
        .headers()
        .set(
            HttpHeaderNames.CONNECTION,
            close ? HttpHeaderValues.CLOSE : HttpHeaderValues.KEEP_ALIVE);
    return response;
  }

  /**
   * A malformed-request error that ends the connection.
   *
   * @param status the HTTP status
   * @param message what was wrong
   * @return the response
   */
  static FullHttpResponse malformed(HttpResponseStatus status, String message) {
    return error(status, "ERR_MALFORMED_REQUEST", message, true);
  }

  /**
   * Writes a final response and ends the connection: once written, the server stops sending (a FIN)
   * but keeps reading and discarding for a moment, so a client still sending its request reads the
   * response instead of a connection reset; then it closes.
   *
   * @param writer where to write from (a handler context, or the channel to go through the whole
   *     pipeline)
   * @param channel the connection
   * @param response the response
   */
  static void sendAndClose(
      ChannelOutboundInvoker writer, Channel channel, FullHttpResponse response) {
    if (!channel.isActive()) {
      response.release();
      channel.close();
      return;
    }
    writer
        .writeAndFlush(response)
        .addListener(
            (ChannelFuture written) -> {
              if (written.isSuccess()
                  && channel instanceof DuplexChannel duplex
                  && duplex.isActive()
                  && !duplex.isOutputShutdown()) {
                duplex.shutdownOutput();
                channel
                    .eventLoop()
                    .schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
              } else {
                channel.close();
              }
            });
  }
}
