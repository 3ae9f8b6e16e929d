package dev.pillion.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.pillion.Pillion;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiError.StateOperation;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.MetadataGateway;
import dev.pillion.server.PubSubGateway;
import dev.pillion.server.StateGateway;
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
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprMetadataProtos;
import io.dapr.v1.DaprProtos;
import io.dapr.v1.DaprPubsubProtos;
import io.dapr.v1.DaprStateProtos;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The state, metadata and shutdown methods of {@code dapr.proto.runtime.v1.Dapr}. Every other
 * method answers UNIMPLEMENTED (see {@link DaprServiceDefinition}).
 */
public final class DaprGrpcService implements DaprGrpc.AsyncService {
  /**
   * The header (metadata key) the content type of a saved item travels in, as the Dapr SDKs send
   * it.
   */
  private static final String CONTENT_TYPE = "contentType";

  private final StateGateway gateway;
  private final PubSubGateway pubsub;
  private final Runnable shutdown;
  private final MetadataGateway metadata;

  /**
   * Creates the service.
   *
   * @param gateway the state gateway
   * @param pubsub the pub/sub gateway
   * @param shutdown what {@code Shutdown} triggers (asynchronously)
   * @param metadata what {@code GetMetadata} reports and {@code SetMetadata} stores
   */
  public DaprGrpcService(
      StateGateway gateway, PubSubGateway pubsub, Runnable shutdown, MetadataGateway metadata) {
    this.gateway = gateway;
    this.pubsub = pubsub;
    this.shutdown = shutdown;
    this.metadata = metadata;
  }

  private static <T> void respond(StreamObserver<T> observer, Supplier<T> action) {
    T result;
    try {
      result = action.get();
    } catch (DaprApiException e) {
      observer.onError(GrpcErrors.toStatus(e.error()));
      return;
    } catch (RuntimeException e) {
      observer.onError(GrpcErrors.toStatus(DaprApiError.internal(e)));
      return;
    }
    observer.onNext(result);
    observer.onCompleted();
  }

  private StateStore store(String name) {
    return gateway.store(name);
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

  static SaveRequest toSave(CommonProtos.StateItem item) {
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

  static DeleteRequest toDelete(
      String key,
      boolean hasEtag,
      CommonProtos.Etag etag,
      Optional<CommonProtos.StateOptions> options,
      java.util.Map<String, String> metadata) {
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

  @Override
  public void getState(
      DaprStateProtos.GetStateRequest request,
      StreamObserver<DaprStateProtos.GetStateResponse> observer) {
    respond(
        observer,
        () -> {
          StateStore store = store(request.getStoreName());
          GetRequest get =
              GetRequest.builder(request.getKey())
                  .consistency(consistency(request.getConsistency()))
                  .metadata(request.getMetadataMap())
                  .build();
          Optional<StateItem> item = gateway.run(StateOperation.GET, () -> store.get(get));
          DaprStateProtos.GetStateResponse.Builder response =
              DaprStateProtos.GetStateResponse.newBuilder();
          item.ifPresent(
              i -> {
                response.setData(ByteString.copyFrom(i.value())).putAllMetadata(i.metadata());
                i.etag().ifPresent(response::setEtag);
              });
          return response.build();
        });
  }

  @Override
  public void getBulkState(
      DaprStateProtos.GetBulkStateRequest request,
      StreamObserver<DaprStateProtos.GetBulkStateResponse> observer) {
    respond(
        observer,
        () -> {
          StateStore store = store(request.getStoreName());
          List<BulkStateItem> items =
              gateway.run(
                  StateOperation.BULK_GET,
                  () -> store.bulkGet(request.getKeysList(), request.getMetadataMap()));
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
        });
  }

  @Override
  public void saveState(DaprStateProtos.SaveStateRequest request, StreamObserver<Empty> observer) {
    respond(
        observer,
        () -> {
          StateStore store = store(request.getStoreName());
          List<SaveRequest> saves = new ArrayList<>();
          for (CommonProtos.StateItem item : request.getStatesList()) {
            saves.add(toSave(item));
          }
          gateway.save(store, saves);
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void deleteState(
      DaprStateProtos.DeleteStateRequest request, StreamObserver<Empty> observer) {
    respond(
        observer,
        () -> {
          StateStore store = store(request.getStoreName());
          DeleteRequest delete =
              toDelete(
                  request.getKey(),
                  request.hasEtag(),
                  request.getEtag(),
                  request.hasOptions() ? Optional.of(request.getOptions()) : Optional.empty(),
                  request.getMetadataMap());
          gateway.run(
              StateOperation.DELETE,
              () -> {
                store.delete(delete);
                return null;
              });
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void deleteBulkState(
      DaprStateProtos.DeleteBulkStateRequest request, StreamObserver<Empty> observer) {
    respond(
        observer,
        () -> {
          StateStore store = store(request.getStoreName());
          List<DeleteRequest> deletes = new ArrayList<>();
          for (CommonProtos.StateItem item : request.getStatesList()) {
            deletes.add(
                toDelete(
                    item.getKey(),
                    item.hasEtag(),
                    item.getEtag(),
                    item.hasOptions() ? Optional.of(item.getOptions()) : Optional.empty(),
                    item.getMetadataMap()));
          }
          gateway.run(
              StateOperation.BULK_DELETE,
              () -> {
                store.deleteAll(deletes);
                return null;
              });
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void executeStateTransaction(
      DaprStateProtos.ExecuteStateTransactionRequest request, StreamObserver<Empty> observer) {
    respond(
        observer,
        () -> {
          StateStore store = store(request.getStoreName());
          List<TransactionOperation> operations = new ArrayList<>();
          for (DaprStateProtos.TransactionalStateOperation operation :
              request.getOperationsList()) {
            CommonProtos.StateItem item = operation.getRequest();
            switch (operation.getOperationType()) {
              case "upsert" -> operations.add(TransactionOperation.upsert(toSave(item)));
              case "delete" ->
                  operations.add(
                      TransactionOperation.delete(
                          toDelete(
                              item.getKey(),
                              item.hasEtag(),
                              item.getEtag(),
                              item.hasOptions() ? Optional.of(item.getOptions()) : Optional.empty(),
                              item.getMetadataMap())));
              default ->
                  throw new DaprApiException(
                      DaprApiError.unsupportedOperation(operation.getOperationType()));
            }
          }
          gateway.run(
              StateOperation.TRANSACTION,
              () -> {
                store.transact(operations, request.getMetadataMap());
                return null;
              });
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void publishEvent(
      DaprPubsubProtos.PublishEventRequest request, StreamObserver<Empty> observer) {
    respond(
        observer,
        () -> {
          pubsub.publish(
              request.getPubsubName(),
              PublishRequest.builder(request.getTopic(), request.getData().toByteArray())
                  .contentType(request.getDataContentType())
                  .metadata(request.getMetadataMap())
                  .build());
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void bulkPublishEvent(
      DaprPubsubProtos.BulkPublishRequest request,
      StreamObserver<DaprPubsubProtos.BulkPublishResponse> observer) {
    respond(observer, () -> bulkPublish(request));
  }

  @Override
  public void bulkPublishEventAlpha1(
      DaprPubsubProtos.BulkPublishRequest request,
      StreamObserver<DaprPubsubProtos.BulkPublishResponse> observer) {
    respond(observer, () -> bulkPublish(request));
  }

  private DaprPubsubProtos.BulkPublishResponse bulkPublish(
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
    DaprPubsubProtos.BulkPublishResponse.Builder response =
        DaprPubsubProtos.BulkPublishResponse.newBuilder();
    for (PubSub.BulkPublishFailure failure :
        pubsub.bulkPublish(
            request.getPubsubName(), request.getTopic(), entries, request.getMetadataMap())) {
      response.addFailedEntries(
          DaprPubsubProtos.BulkPublishResponseFailedEntry.newBuilder()
              .setEntryId(failure.entryId())
              .setError(failure.error()));
    }
    return response.build();
  }

  @Override
  public StreamObserver<DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1>
      subscribeTopicEventsAlpha1(
          StreamObserver<DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1> responses) {
    return new StreamingSubscription(gateway.runtime(), metadata, responses);
  }

  @Override
  public void getMetadata(
      DaprMetadataProtos.GetMetadataRequest request,
      StreamObserver<DaprMetadataProtos.GetMetadataResponse> observer) {
    respond(
        observer,
        () -> {
          DaprMetadataProtos.GetMetadataResponse.Builder response =
              DaprMetadataProtos.GetMetadataResponse.newBuilder()
                  .setId(metadata.appId())
                  .setRuntimeVersion(metadata.runtimeVersion())
                  .putAllExtendedMetadata(metadata.extended());
          for (Pillion.LoadedComponent component : metadata.components()) {
            response.addRegisteredComponents(
                DaprMetadataProtos.RegisteredComponents.newBuilder()
                    .setName(component.name())
                    .setType(component.type())
                    .setVersion(component.version())
                    .addAllCapabilities(component.capabilities()));
          }
          for (MetadataGateway.ActiveSubscription active : metadata.subscriptions()) {
            dev.pillion.pubsub.SubscriptionDefinition subscription = active.definition();
            DaprMetadataProtos.PubsubSubscriptionRules.Builder rules =
                DaprMetadataProtos.PubsubSubscriptionRules.newBuilder();
            subscription
                .routes()
                .rules()
                .forEach(
                    rule ->
                        rules.addRules(
                            DaprMetadataProtos.PubsubSubscriptionRule.newBuilder()
                                .setMatch(rule.getKey())
                                .setPath(rule.getValue())));
            subscription
                .routes()
                .defaultRoute()
                .ifPresent(
                    path ->
                        rules.addRules(
                            DaprMetadataProtos.PubsubSubscriptionRule.newBuilder().setPath(path)));
            response.addSubscriptions(
                DaprMetadataProtos.PubsubSubscription.newBuilder()
                    .setPubsubName(subscription.pubsubName())
                    .setTopic(subscription.topic())
                    .putAllMetadata(subscription.metadata())
                    .setRules(rules)
                    .setDeadLetterTopic(subscription.deadLetterTopic().orElse(""))
                    .setType(
                        DaprMetadataProtos.PubsubSubscriptionType.valueOf(active.type().name())));
          }
          return response.build();
        });
  }

  @Override
  public void setMetadata(
      DaprMetadataProtos.SetMetadataRequest request, StreamObserver<Empty> observer) {
    respond(
        observer,
        () -> {
          metadata.put(request.getKey(), request.getValue());
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void shutdown(DaprProtos.ShutdownRequest request, StreamObserver<Empty> observer) {
    respond(observer, Empty::getDefaultInstance);
    shutdown.run();
  }
}
