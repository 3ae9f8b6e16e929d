package dev.pillion.server.api.pubsub;

import dev.pillion.pubsub.PublishRequest;
import dev.pillion.server.spi.GrpcHeaders;
import dev.pillion.server.spi.HttpApiRequest;
import io.dapr.v1.DaprPubsubProtos;
import java.util.Map;

/**
 * One publish as both protocols map it, so they cannot drift: the pub/sub component, and the event
 * with its content type and trace context taken from where each protocol carries them. A missing
 * content type (no {@code Content-Type} header, an empty {@code data_content_type}) stays empty on
 * both, which the building block reads as JSON when the data parses as JSON and as text otherwise;
 * the W3C trace context comes from the {@code traceparent} header over HTTP and the {@code
 * traceparent} call metadata over gRPC, where daprd reads it too.
 *
 * @param pubsub the pub/sub component's name
 * @param request the event
 */
record PublishCommand(String pubsub, PublishRequest request) {
  /** The header (HTTP) and metadata key (gRPC) of the W3C trace context. */
  static final String TRACEPARENT = "traceparent";

  /** The content type of an event published without one: left to the building block. */
  static final String NO_CONTENT_TYPE = "";

  /**
   * Maps {@code POST /v1.0/publish/{pubsub}/{topic...}}: the body is the data, {@code Content-Type}
   * its type, {@code metadata.*} query parameters the publish metadata.
   *
   * @param request the HTTP request
   * @param pubsub the component's name from the path
   * @param topic the topic from the path, empty when the path has none
   * @return the command
   */
  static PublishCommand fromHttp(HttpApiRequest request, String pubsub, String topic) {
    return create(
        pubsub,
        topic,
        request.body(),
        request.header("Content-Type").orElse(NO_CONTENT_TYPE),
        request.metadata(),
        request.header(TRACEPARENT).orElse(""));
  }

  /**
   * Maps gRPC {@code PublishEvent}, reading the trace context from the call being handled.
   *
   * @param request the message
   * @return the command
   */
  static PublishCommand fromGrpc(DaprPubsubProtos.PublishEventRequest request) {
    return create(
        request.getPubsubName(),
        request.getTopic(),
        request.getData().toByteArray(),
        request.getDataContentType(),
        request.getMetadataMap(),
        GrpcHeaders.current(TRACEPARENT).orElse(""));
  }

  private static PublishCommand create(
      String pubsub,
      String topic,
      byte[] data,
      String contentType,
      Map<String, String> metadata,
      String traceparent) {
    PublishRequest.Builder event =
        PublishRequest.builder(topic, data)
            .contentType(contentType.isBlank() ? NO_CONTENT_TYPE : contentType)
            .metadata(metadata);
    if (!traceparent.isBlank()) {
      event.traceparent(traceparent);
    }
    return new PublishCommand(pubsub, event.build());
  }
}
