package dev.pillion.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's aggregator with daprd's error bodies: a body over the limit (declared or streamed) is a
 * 413 naming the limit, and the connection ends; an {@code Expect} Pillion cannot meet is a 417.
 */
final class DaprHttpAggregator extends HttpObjectAggregator {
  private final int maxBodyBytes;

  DaprHttpAggregator(int maxBodyBytes) {
    super(maxBodyBytes, true);
    this.maxBodyBytes = maxBodyBytes;
  }

  private FullHttpResponse tooLarge() {
    return DaprHttpResponses.malformed(
        HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
        "the request body is larger than the limit of "
            + maxBodyBytes
            + " bytes (--max-body-size)");
  }

  @Override
  protected Object newContinueResponse(
      HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    Object response = super.newContinueResponse(start, maxContentLength, pipeline);
    if (response instanceof HttpResponse refusal && refusal.status().code() >= 400) {
      HttpResponseStatus status = refusal.status();
      ReferenceCountUtil.release(response);
      return status.code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()
          ? tooLarge()
          : DaprHttpResponses.malformed(
              HttpResponseStatus.EXPECTATION_FAILED,
              "the Expect header is not supported (only 100-continue is)");
    }
    return response;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized)
      throws Exception {
    if (oversized instanceof HttpRequest) {
      DaprHttpResponses.sendAndClose(ctx, ctx.channel(), tooLarge());
    } else {
      super.handleOversizedMessage(ctx, oversized);
    }
  }
}
