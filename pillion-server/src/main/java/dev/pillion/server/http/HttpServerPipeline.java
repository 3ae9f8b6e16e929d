package dev.pillion.server.http;

import dev.pillion.server.HttpLimits;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The pipeline of one HTTP API connection: guard (timeouts, backpressure) → codec (with the request
 * line and header limits) → aggregator (body limit, daprd's 413) → end-of-request mark → the shared
 * API handler, which also decides keep-alive.
 */
public final class HttpServerPipeline {
  private HttpServerPipeline() {}

  /**
   * Sets up a connection's pipeline.
   *
   * @param pipeline the new connection's pipeline
   * @param limits the limits to enforce
   * @param handler the shared API handler
   */
  public static void configure(
      ChannelPipeline pipeline, HttpLimits limits, HttpApiHandler handler) {
    ConnectionGuard guard = new ConnectionGuard(limits);
    pipeline
        .addLast("guard", guard)
        .addLast(
            "codec",
            new HttpServerCodec(limits.maxRequestLineBytes(), limits.maxHeaderBytes(), 8192))
        .addLast("aggregator", new DaprHttpAggregator(limits.maxBodyBytes()))
        .addLast("request-end", guard.requestEnd())
        .addLast("api", handler);
  }
}
