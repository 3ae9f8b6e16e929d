package dev.pillion.state;

import com.google.protobuf.ByteString;
import dev.pillion.abi.state.BulkDeleteRequest;
import dev.pillion.abi.state.BulkGetItem;
import dev.pillion.abi.state.BulkGetRequest;
import dev.pillion.abi.state.BulkSetRequest;
import dev.pillion.abi.state.DeleteStateOption;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.GetStateOption;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.abi.state.SetStateOption;
import dev.pillion.abi.state.TransactOperation;
import dev.pillion.abi.state.TransactRequest;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.state.spi.StateMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The state building block over one component: checks requests with Dapr's rules (key, TTL,
 * features), applies the key prefix, and maps component errors back to the application's keys.
 */
public final class DefaultStateStore implements StateStore {
  private static final GetStateOption STRONG_READ =
      GetStateOption.newBuilder().setConsistency(Consistency.STRONG.value()).build();

  private final String name;
  private final StateComponent component;
  private final KeyPrefix keyPrefix;
  private final Set<String> features;

  private DefaultStateStore(String name, StateComponent component, KeyPrefix keyPrefix) {
    this.name = name;
    this.component = component;
    this.keyPrefix = keyPrefix;
    this.features = Set.copyOf(component.features());
  }

  /**
   * Wraps a component.
   *
   * @param name the store's name
   * @param component the component
   * @param keyPrefix the key prefix strategy resolved for this app
   * @return the store
   */
  public static DefaultStateStore create(
      String name, StateComponent component, KeyPrefix keyPrefix) {
    return new DefaultStateStore(name, component, keyPrefix);
  }

  /**
   * The component behind the store.
   *
   * @return the component
   */
  public StateComponent component() {
    return component;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<String> features() {
    return features;
  }

  @Override
  public Optional<StateItem> get(GetRequest request) {
    String key = storedKey(request.key());
    dev.pillion.abi.state.GetRequest.Builder get =
        dev.pillion.abi.state.GetRequest.newBuilder()
            .setKey(key)
            .putAllMetadata(request.metadata());
    if (request.consistency() != Consistency.EVENTUAL) {
      // Eventual is what an unset option means; leaving it out keeps the hot path's request
      // minimal.
      get.setOptions(STRONG_READ);
    }
    dev.pillion.abi.state.GetRequest message = get.build();
    GetResponse response = guarded(request.key(), () -> component.get(message));
    if (response.getData().isEmpty() && response.getEtag().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        StateItem.wrap(
            request.key(),
            response.getData().toByteArray(),
            response.getEtag(),
            response.getContentType(),
            response.getMetadataMap()));
  }

  @Override
  public List<BulkStateItem> bulkGet(List<String> keys, Map<String, String> metadata) {
    BulkGetRequest.Builder request = BulkGetRequest.newBuilder();
    for (String key : keys) {
      request.addItems(
          dev.pillion.abi.state.GetRequest.newBuilder()
              .setKey(storedKey(key))
              .putAllMetadata(metadata));
    }
    List<BulkGetItem> items = guarded("", () -> component.bulkGet(request.build()));
    if (items.size() != keys.size()) {
      throw new StateException(
          name,
          "component returned "
              + items.size()
              + " items for a bulk get of "
              + keys.size()
              + " keys",
          null);
    }
    List<BulkStateItem> result = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      BulkGetItem item = items.get(i);
      String key = keys.get(i);
      if (!item.getError().isEmpty()) {
        result.add(BulkStateItem.failed(key, item.getError()));
      } else if (item.getData().isEmpty() && item.getEtag().isEmpty()) {
        result.add(BulkStateItem.missing(key));
      } else {
        result.add(
            BulkStateItem.found(
                StateItem.wrap(
                    key,
                    item.getData().toByteArray(),
                    item.getEtag(),
                    item.getContentType(),
                    item.getMetadataMap())));
      }
    }
    return result;
  }

  @Override
  public void save(SaveRequest request) {
    SetRequest set = toSet(request);
    guarded(
        request.key(),
        () -> {
          component.set(set);
          return null;
        });
  }

  @Override
  public void saveAll(List<SaveRequest> requests) {
    BulkSetRequest.Builder bulk = BulkSetRequest.newBuilder();
    for (SaveRequest request : requests) {
      bulk.addItems(toSet(request));
    }
    guarded(
        "",
        () -> {
          component.bulkSet(bulk.build());
          return null;
        });
  }

  @Override
  public void delete(DeleteRequest request) {
    dev.pillion.abi.state.DeleteRequest delete = toDelete(request);
    guarded(
        request.key(),
        () -> {
          component.delete(delete);
          return null;
        });
  }

  @Override
  public void deleteAll(List<DeleteRequest> requests) {
    BulkDeleteRequest.Builder bulk = BulkDeleteRequest.newBuilder();
    for (DeleteRequest request : requests) {
      bulk.addItems(toDelete(request));
    }
    guarded(
        "",
        () -> {
          component.bulkDelete(bulk.build());
          return null;
        });
  }

  @Override
  public void transact(List<TransactionOperation> operations, Map<String, String> metadata) {
    if (!features.contains(StateFeature.TRANSACTIONAL)) {
      throw new StateNotSupportedException(name, "the state store does not support transactions");
    }
    TransactRequest.Builder request = TransactRequest.newBuilder().putAllMetadata(metadata);
    for (TransactionOperation operation : operations) {
      if (operation instanceof TransactionOperation.Upsert upsert) {
        request.addOperations(TransactOperation.newBuilder().setSet(toSet(upsert.request())));
      } else if (operation instanceof TransactionOperation.Delete delete) {
        request.addOperations(TransactOperation.newBuilder().setDelete(toDelete(delete.request())));
      }
    }
    guarded(
        "",
        () -> {
          component.transact(request.build());
          return null;
        });
  }

  private SetRequest toSet(SaveRequest request) {
    String key = storedKey(request.key());
    if (StateMetadata.ttlSeconds(name, request.metadata()).isPresent()
        && !features.contains(StateFeature.TTL)) {
      throw new StateNotSupportedException(
          name,
          "key '"
              + request.key()
              + "': metadata 'ttlInSeconds' is set, but the state store does not support TTL");
    }
    SetRequest.Builder set =
        SetRequest.newBuilder()
            .setKey(key)
            .setData(ByteString.copyFrom(request.valueUnsafe()))
            .putAllMetadata(request.metadata())
            .setOptions(
                SetStateOption.newBuilder()
                    .setConcurrency(request.concurrency().value())
                    .setConsistency(request.consistency().value()));
    request.etag().ifPresent(set::setEtag);
    request.contentType().ifPresent(set::setContentType);
    return set.build();
  }

  private dev.pillion.abi.state.DeleteRequest toDelete(DeleteRequest request) {
    dev.pillion.abi.state.DeleteRequest.Builder delete =
        dev.pillion.abi.state.DeleteRequest.newBuilder()
            .setKey(storedKey(request.key()))
            .putAllMetadata(request.metadata())
            .setOptions(
                DeleteStateOption.newBuilder()
                    .setConcurrency(request.concurrency().value())
                    .setConsistency(request.consistency().value()));
    request.etag().ifPresent(delete::setEtag);
    return delete.build();
  }

  private String storedKey(String key) {
    if (key.isEmpty()) {
      throw new InvalidStateRequestException(name, "key is empty");
    }
    if (keyPrefix.active() && key.contains(KeyPrefix.SEPARATOR)) {
      throw new IllegalKeyException(name, key);
    }
    return keyPrefix.apply(key);
  }

  /**
   * Runs a component call and rewrites keys in its errors from the stored form to the
   * application's.
   */
  private <T> T guarded(String key, java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (StateException e) {
      throw rekey(e, key);
    }
  }

  private StateException rekey(StateException e, String key) {
    if (e instanceof EtagMismatchException mismatch) {
      return new EtagMismatchException(
          name, applicationKey(mismatch.key(), key), mismatch.detail());
    }
    if (e instanceof EtagInvalidException invalid) {
      return new EtagInvalidException(name, applicationKey(invalid.key(), key), invalid.detail());
    }
    if (e instanceof BulkStateException bulk) {
      List<BulkStateException.KeyFailure> failures = new ArrayList<>();
      for (BulkStateException.KeyFailure failure : bulk.failures()) {
        String failedKey = keyPrefix.strip(failure.key());
        failures.add(
            new BulkStateException.KeyFailure(failedKey, rekey(failure.error(), failedKey)));
      }
      return new BulkStateException(name, bulk.operation(), failures);
    }
    return e;
  }

  private String applicationKey(String storedKey, String requestKey) {
    return storedKey.isEmpty() ? requestKey : keyPrefix.strip(storedKey);
  }

  @Override
  public String toString() {
    return "StateStore{" + name + ", prefix " + keyPrefix + ", features " + features + '}';
  }
}
