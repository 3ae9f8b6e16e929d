package dev.pillion.server.api.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.state.BulkStateItem;
import dev.pillion.state.Concurrency;
import dev.pillion.state.Consistency;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.GetRequest;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import io.dapr.v1.CommonProtos;
import io.dapr.v1.DaprStateProtos;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The gRPC face of the state API ({@code GetState}, {@code SaveState}, ...): messages to {@link
 * StateCommand}s, results to response messages.
 */
final class StateGrpc {
  /** The metadata key the content type of a saved item travels in, as the Dapr SDKs send it. */
  private static final String CONTENT_TYPE = "contentType";

  private final StateGateway gateway;

  StateGrpc(StateGateway gateway) {
    this.gateway = gateway;
  }

  CompletionStage<DaprStateProtos.GetStateResponse> getState(
      DaprStateProtos.GetStateRequest request) {
    StateStore store = gateway.store(request.getStoreName());
    GetRequest get =
        GetRequest.builder(request.getKey())
            .consistency(consistency(request.getConsistency()))
            .metadata(request.getMetadataMap())
            .build();
    return gateway.execute(new StateCommand.Get(store, get)).thenApply(StateGrpc::getResponse);
  }

  private static DaprStateProtos.GetStateResponse getResponse(Optional<StateItem> item) {
    DaprStateProtos.GetStateResponse.Builder response =
        DaprStateProtos.GetStateResponse.newBuilder();
    item.ifPresent(
        i -> {
          response.setData(ByteString.copyFrom(i.value())).putAllMetadata(i.metadata());
          i.etag().ifPresent(response::setEtag);
        });
    return response.build();
  }

  CompletionStage<DaprStateProtos.GetBulkStateResponse> getBulkState(
      DaprStateProtos.GetBulkStateRequest request) {
    StateStore store = gateway.store(request.getStoreName());
    return gateway
        .execute(new StateCommand.BulkGet(store, request.getKeysList(), request.getMetadataMap()))
        .thenApply(StateGrpc::bulkResponse);
  }

  private static DaprStateProtos.GetBulkStateResponse bulkResponse(List<BulkStateItem> items) {
    DaprStateProtos.GetBulkStateResponse.Builder response =
        DaprStateProtos.GetBulkStateResponse.newBuilder();
    for (BulkStateItem item : items) {
      DaprStateProtos.BulkStateItem.Builder entry =
          DaprStateProtos.BulkStateItem.newBuilder().setKey(item.key());
      item.error().ifPresent(entry::setError);
      item.item()
          .ifPresent(
              i -> {
                entry.setData(ByteString.copyFrom(i.value())).putAllMetadata(i.metadata());
                i.etag().ifPresent(entry::setEtag);
              });
      response.addItems(entry);
    }
    return response.build();
  }

  CompletionStage<Empty> saveState(DaprStateProtos.SaveStateRequest request) {
    StateStore store = gateway.store(request.getStoreName());
    List<SaveRequest> saves = new ArrayList<>();
    for (CommonProtos.StateItem item : request.getStatesList()) {
      saves.add(toSave(item));
    }
    return gateway.execute(new StateCommand.Save(store, saves)).thenApply(done -> empty());
  }

  CompletionStage<Empty> deleteState(DaprStateProtos.DeleteStateRequest request) {
    StateStore store = gateway.store(request.getStoreName());
    DeleteRequest delete =
        toDelete(
            request.getKey(),
            request.hasEtag(),
            request.getEtag(),
            request.hasOptions() ? Optional.of(request.getOptions()) : Optional.empty(),
            request.getMetadataMap());
    return gateway.execute(new StateCommand.Delete(store, delete)).thenApply(done -> empty());
  }

  CompletionStage<Empty> deleteBulkState(DaprStateProtos.DeleteBulkStateRequest request) {
    StateStore store = gateway.store(request.getStoreName());
    List<DeleteRequest> deletes = new ArrayList<>();
    for (CommonProtos.StateItem item : request.getStatesList()) {
      deletes.add(toDelete(item));
    }
    return gateway.execute(new StateCommand.BulkDelete(store, deletes)).thenApply(done -> empty());
  }

  CompletionStage<Empty> executeStateTransaction(
      DaprStateProtos.ExecuteStateTransactionRequest request) {
    StateStore store = gateway.store(request.getStoreName());
    List<TransactionOperation> operations = new ArrayList<>();
    for (DaprStateProtos.TransactionalStateOperation operation : request.getOperationsList()) {
      CommonProtos.StateItem item = operation.getRequest();
      switch (operation.getOperationType()) {
        case "upsert" -> operations.add(TransactionOperation.upsert(toSave(item)));
        case "delete" -> operations.add(TransactionOperation.delete(toDelete(item)));
        default ->
            throw new DaprApiException(
                DaprApiError.unsupportedOperation(operation.getOperationType()));
      }
    }
    return gateway
        .execute(new StateCommand.Transaction(store, operations, request.getMetadataMap()))
        .thenApply(done -> empty());
  }

  private static Empty empty() {
    return Empty.getDefaultInstance();
  }

  private static Consistency consistency(CommonProtos.StateOptions.StateConsistency value) {
    return value == CommonProtos.StateOptions.StateConsistency.CONSISTENCY_STRONG
        ? Consistency.STRONG
        : Consistency.EVENTUAL;
  }

  private static Concurrency concurrency(CommonProtos.StateOptions.StateConcurrency value) {
    return value == CommonProtos.StateOptions.StateConcurrency.CONCURRENCY_FIRST_WRITE
        ? Concurrency.FIRST_WRITE
        : Concurrency.LAST_WRITE;
  }

  private static SaveRequest toSave(CommonProtos.StateItem item) {
    SaveRequest.Builder save =
        SaveRequest.builder(item.getKey(), item.getValue().toByteArray())
            .metadata(item.getMetadataMap());
    if (item.hasEtag() && !item.getEtag().getValue().isEmpty()) {
      save.etag(item.getEtag().getValue());
    }
    if (item.hasOptions()) {
      save.concurrency(concurrency(item.getOptions().getConcurrency()))
          .consistency(consistency(item.getOptions().getConsistency()));
    }
    String contentType = item.getMetadataMap().get(CONTENT_TYPE);
    if (contentType != null && !contentType.isEmpty()) {
      save.contentType(
          StateGateway.checkContentType(
              contentType, "metadata.contentType of key '" + item.getKey() + "'"));
    }
    return save.build();
  }

  private static DeleteRequest toDelete(CommonProtos.StateItem item) {
    return toDelete(
        item.getKey(),
        item.hasEtag(),
        item.getEtag(),
        item.hasOptions() ? Optional.of(item.getOptions()) : Optional.empty(),
        item.getMetadataMap());
  }

  private static DeleteRequest toDelete(
      String key,
      boolean hasEtag,
      CommonProtos.Etag etag,
      Optional<CommonProtos.StateOptions> options,
      Map<String, String> metadata) {
    DeleteRequest.Builder delete = DeleteRequest.builder(key);
    metadata.forEach(delete::metadata);
    if (hasEtag && !etag.getValue().isEmpty()) {
      delete.etag(etag.getValue());
    }
    options.ifPresent(
        o ->
            delete
                .concurrency(concurrency(o.getConcurrency()))
                .consistency(consistency(o.getConsistency())));
    return delete.build();
  }
}
