package dev.pillion.server.api.pubsub;

import com.google.protobuf.Empty;
import dev.pillion.pubsub.PubSub;
import io.dapr.v1.DaprPubsubProtos;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The gRPC face of pub/sub: {@code PublishEvent} and {@code BulkPublishEvent} (and its alpha1 twin)
 * mapped to the commands the HTTP face uses.
 */
final class PubSubGrpc {
  private final PubSubGateway gateway;

  PubSubGrpc(PubSubGateway gateway) {
    this.gateway = gateway;
  }

  CompletionStage<Empty> publishEvent(DaprPubsubProtos.PublishEventRequest request) {
    return gateway
        .execute(PublishCommand.fromGrpc(request))
        .thenApply(done -> Empty.getDefaultInstance());
  }

  CompletionStage<DaprPubsubProtos.BulkPublishResponse> bulkPublishEvent(
      DaprPubsubProtos.BulkPublishRequest request) {
    List<PubSub.BulkPublishEntry> entries = new ArrayList<>();
    for (DaprPubsubProtos.BulkPublishRequestEntry entry : request.getEntriesList()) {
      entries.add(
          new PubSub.BulkPublishEntry(
              entry.getEntryId(),
              entry.getEvent().toByteArray(),
              entry.getContentType(),
              entry.getMetadataMap()));
    }
    BulkPublishCommand command =
        new BulkPublishCommand(
            request.getPubsubName(), request.getTopic(), entries, request.getMetadataMap());
    return gateway.execute(command).thenApply(PubSubGrpc::bulkResponse);
  }

  private static DaprPubsubProtos.BulkPublishResponse bulkResponse(
      List<PubSub.BulkPublishFailure> failures) {
    DaprPubsubProtos.BulkPublishResponse.Builder response =
        DaprPubsubProtos.BulkPublishResponse.newBuilder();
    for (PubSub.BulkPublishFailure failure : failures) {
      response.addFailedEntries(
          DaprPubsubProtos.BulkPublishResponseFailedEntry.newBuilder()
              .setEntryId(failure.entryId())
              .setError(failure.error()));
    }
    return response.build();
  }
}
