package dev.pillion.server.http;

import dev.pillion.server.ApiLog;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * Logs each HTTP API call ({@link ApiLog}) when the server runs with API logging. It sits in a
 * connection's pipeline just before the API handler, so it sees every request the handler answers
 * (also those answered with an error) and nothing else: a request refused by the transport (413
 * from the aggregator, 408 from the guard) never reached the API. Requests of one connection are
 * answered in order, so the pending calls are a queue. One instance per connection.
 */
public final class ApiLogHandler extends ChannelDuplexHandler {
  private record Call(String method, long startNanos) {}

  private final Queue<Call> pending = new ArrayDeque<>();

  /** Creates the handler for one connection. */
  public ApiLogHandler() {}

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      pending.add(new Call(describe(request), System.nanoTime()));
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response
        && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      Call call = pending.poll();
      if (call != null) {
        ApiLog.call(
            "HTTP",
            call.method(),
            Integer.toString(response.status().code()),
            System.nanoTime() - call.startNanos());
      }
    }
    ctx.write(msg, promise);
  }

  /** The method and the path, without the query (which may carry metadata values). */
  private static String describe(HttpRequest request) {
    String uri = request.uri();
    int query = uri.indexOf('?');
    return RequestTarget.printable(request.method().name())
        + " "
        + RequestTarget.printable(query < 0 ? uri : uri.substring(0, query));
  }
}
