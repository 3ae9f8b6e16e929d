package dev.pillion.server.api.pubsub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.pubsub.PubSub;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.http.JsonBody;
import dev.pillion.server.spi.HttpApiRequest;
import dev.pillion.server.spi.HttpReply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP face of pub/sub: {@code POST /v1.0/publish/{pubsub}/{topic}} (body: the data,
 * Content-Type: its type) and the bulk forms {@code POST
 * /v1.0-alpha1/publish/bulk/{pubsub}/{topic}} and {@code POST /v1.0/publish/bulk/{pubsub}/{topic}}
 * (body: {@code [{entryId, event, contentType, metadata}]}). A topic may contain {@code /}.
 */
final class PubSubHttp {
  private final PubSubGateway gateway;

  PubSubHttp(PubSubGateway gateway) {
    this.gateway = gateway;
  }

  /** A publish route whose path names no pub/sub component. */
  static CompletionStage<HttpReply> noPubsub(HttpApiRequest request) {
    throw new DaprApiException(DaprApiError.pubsubNotFound("", true));
  }

  /** {@code /v1.0/publish/{pubsub}/{topic...}}. */
  CompletionStage<HttpReply> publish(HttpApiRequest request) {
    return publish(request, request.pathParameter("topic"));
  }

  /** {@code /v1.0/publish/{pubsub}}: refused for its empty topic once the component is found. */
  CompletionStage<HttpReply> publishWithoutTopic(HttpApiRequest request) {
    return publish(request, "");
  }

  private CompletionStage<HttpReply> publish(HttpApiRequest request, String topic) {
    PublishCommand command =
        PublishCommand.fromHttp(request, request.pathParameter("pubsub"), topic);
    return gateway.execute(command).thenApply(done -> HttpReply.empty(204));
  }

  /** {@code /v1.0/publish/bulk/{pubsub}/{topic...}} and its alpha1 twin. */
  CompletionStage<HttpReply> bulkPublish(HttpApiRequest request) {
    return bulkPublish(request, request.pathParameter("topic"));
  }

  /** {@code /v1.0/publish/bulk/{pubsub}}: refused for its empty topic once the body is read. */
  CompletionStage<HttpReply> bulkPublishWithoutTopic(HttpApiRequest request) {
    return bulkPublish(request, "");
  }

  private CompletionStage<HttpReply> bulkPublish(HttpApiRequest request, String topic) {
    List<PubSub.BulkPublishEntry> entries = new ArrayList<>();
    int index = 0;
    for (JsonNode node :
        JsonBody.array(JsonBody.parse(request.body(), "the request body"), "the request body")) {
      String field = "[" + index++ + "]";
      ObjectNode entry = JsonBody.object(node, field);
      // A missing entryId is refused with the other entry id errors, by the building block.
      String entryId = JsonBody.optionalString(entry, "entryId", field + ".entryId").orElse("");
      JsonNode event = JsonBody.field(entry, "event");
      if (event == null) {
        throw JsonBody.malformed(field + ".event is missing");
      }
      String contentType =
          JsonBody.optionalString(entry, "contentType", field + ".contentType").orElse("");
      byte[] data =
          event.isTextual() && !contentType.contains("json")
              ? event.textValue().getBytes(StandardCharsets.UTF_8)
              : event.toString().getBytes(StandardCharsets.UTF_8);
      entries.add(
          new PubSub.BulkPublishEntry(
              entryId,
              data,
              contentType,
              JsonBody.stringMap(JsonBody.field(entry, "metadata"), field + ".metadata")));
    }
    BulkPublishCommand command =
        new BulkPublishCommand(request.pathParameter("pubsub"), topic, entries, request.metadata());
    return gateway.execute(command).thenApply(PubSubHttp::bulkResponse);
  }

  private static HttpReply bulkResponse(List<PubSub.BulkPublishFailure> failures) {
    ObjectNode response = JsonBody.JSON.createObjectNode();
    ArrayNode failed = response.putArray("failedEntries");
    for (PubSub.BulkPublishFailure failure : failures) {
      failed.addObject().put("entryId", failure.entryId()).put("error", failure.error());
    }
    if (!failures.isEmpty()) {
      response.put("errorCode", "ERR_PUBSUB_PUBLISH_MESSAGE");
      return HttpReply.json(500, response);
    }
    return HttpReply.json(200, response);
  }
}
