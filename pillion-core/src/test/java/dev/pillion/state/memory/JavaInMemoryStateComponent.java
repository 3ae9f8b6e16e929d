package dev.pillion.state.memory;

import com.google.protobuf.ByteString;
import dev.pillion.abi.state.BulkDeleteRequest;
import dev.pillion.abi.state.BulkGetItem;
import dev.pillion.abi.state.BulkGetRequest;
import dev.pillion.abi.state.BulkSetRequest;
import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.abi.state.TransactOperation;
import dev.pillion.abi.state.TransactRequest;
import dev.pillion.state.BulkStateException;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.InvalidStateRequestException;
import dev.pillion.state.StateException;
import dev.pillion.state.StateFeature;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.state.spi.StateMetadata;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * The plain-Java reference state store: the same semantics as the bundled Wasm in-memory component
 * (etags, first-write, TTL, atomic bulk writes and transactions), in Java. It is the baseline the
 * benchmarks compare the Wasm component with, and it runs the same conformance suite. Calls are
 * serialized by one lock, as the Wasm single instance's are.
 */
public final class JavaInMemoryStateComponent implements StateComponent {
  private static final Set<String> FEATURES =
      Set.of(StateFeature.ETAG, StateFeature.TRANSACTIONAL, StateFeature.TTL);
  private static final Set<String> CONCURRENCY = Set.of("", "first-write", "last-write");
  private static final Set<String> CONSISTENCY = Set.of("", "eventual", "strong");

  private final String name;
  private final Clock clock;
  private final Map<String, Item> items = new HashMap<>();
  private long nextEtag = 1;

  private record Item(ByteString data, String etag, String contentType, long expiresAtMillis) {
    boolean expired(long now) {
      return expiresAtMillis != 0 && expiresAtMillis <= now;
    }
  }

  private JavaInMemoryStateComponent(String name, Clock clock) {
    this.name = name;
    this.clock = clock;
  }

  /**
   * Creates an empty store.
   *
   * @param name the component's name
   * @return the store
   */
  public static JavaInMemoryStateComponent create(String name) {
    return new JavaInMemoryStateComponent(name, Clock.systemUTC());
  }

  /**
   * Creates an empty store with a clock, for TTL tests.
   *
   * @param name the component's name
   * @param clock the clock TTLs are measured with
   * @return the store
   */
  public static JavaInMemoryStateComponent create(String name, Clock clock) {
    return new JavaInMemoryStateComponent(name, clock);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<String> features() {
    return FEATURES;
  }

  @Override
  public synchronized GetResponse get(GetRequest request) {
    requireKey(request.getKey());
    Item item = live(request.getKey(), clock.millis());
    if (item == null) {
      return GetResponse.getDefaultInstance();
    }
    return response(item).build();
  }

  private GetResponse.Builder response(Item item) {
    GetResponse.Builder response =
        GetResponse.newBuilder()
            .setData(item.data)
            .setEtag(item.etag)
            .setContentType(item.contentType);
    if (item.expiresAtMillis != 0) {
      response.putMetadata(
          StateMetadata.TTL_EXPIRE_TIME,
          StateMetadata.formatExpireTime(Instant.ofEpochMilli(item.expiresAtMillis)));
    }
    return response;
  }

  @Override
  public synchronized List<BulkGetItem> bulkGet(BulkGetRequest request) {
    long now = clock.millis();
    List<BulkGetItem> result = new ArrayList<>(request.getItemsCount());
    for (GetRequest get : request.getItemsList()) {
      BulkGetItem.Builder entry = BulkGetItem.newBuilder().setKey(get.getKey());
      Item item = live(get.getKey(), now);
      if (item != null) {
        GetResponse response = response(item).build();
        entry
            .setData(response.getData())
            .setEtag(response.getEtag())
            .setContentType(response.getContentType());
        entry.putAllMetadata(response.getMetadataMap());
      }
      result.add(entry.build());
    }
    return result;
  }

  @Override
  public synchronized void set(SetRequest request) {
    Map<String, Item> overlay = new LinkedHashMap<>();
    stageSet(request, overlay, clock.millis());
    commit(overlay);
  }

  @Override
  public synchronized void delete(DeleteRequest request) {
    Map<String, Item> overlay = new LinkedHashMap<>();
    stageDelete(request, overlay, clock.millis());
    commit(overlay);
  }

  @Override
  public synchronized void bulkSet(BulkSetRequest request) {
    stageAll("bulk save", request.getItemsList(), SetRequest::getKey, this::stageSet);
  }

  @Override
  public synchronized void bulkDelete(BulkDeleteRequest request) {
    stageAll("bulk delete", request.getItemsList(), DeleteRequest::getKey, this::stageDelete);
  }

  /**
   * Stages every item against the store as the earlier ones leave it, then commits all, or none.
   */
  private <T> void stageAll(
      String operation, List<T> items, Function<T, String> key, Stager<T> stage) {
    Map<String, Item> overlay = new LinkedHashMap<>();
    long now = clock.millis();
    for (T item : items) {
      try {
        stage.stage(item, overlay, now);
      } catch (StateException e) {
        throw new BulkStateException(
            name, operation, List.of(new BulkStateException.KeyFailure(key.apply(item), e)));
      }
    }
    commit(overlay);
  }

  @FunctionalInterface
  private interface Stager<T> {
    void stage(T request, Map<String, Item> overlay, long now);
  }

  @Override
  public synchronized void transact(TransactRequest request) {
    Map<String, Item> overlay = new LinkedHashMap<>();
    long now = clock.millis();
    for (TransactOperation operation : request.getOperationsList()) {
      switch (operation.getOperationCase()) {
        case SET -> stageSet(operation.getSet(), overlay, now);
        case DELETE -> stageDelete(operation.getDelete(), overlay, now);
        default ->
            throw new InvalidStateRequestException(
                name, "transaction operation has neither set nor delete");
      }
    }
    commit(overlay);
  }

  /**
   * Validates a write against the store as the overlay (earlier operations of the same request)
   * leaves it.
   */
  private void stageSet(SetRequest request, Map<String, Item> overlay, long now) {
    String key = request.getKey();
    requireKey(key);
    checkOptions(key, request.getOptions().getConcurrency(), request.getOptions().getConsistency());
    OptionalLong ttl = StateMetadata.ttlSeconds(name, request.getMetadataMap());
    checkEtag(
        key, request.getEtag(), request.getOptions().getConcurrency(), current(key, overlay, now));
    long expires = ttl.isPresent() && ttl.getAsLong() > 0 ? now + ttl.getAsLong() * 1000 : 0;
    overlay.put(
        key,
        new Item(request.getData(), Long.toString(nextEtag++), request.getContentType(), expires));
  }

  private void stageDelete(DeleteRequest request, Map<String, Item> overlay, long now) {
    String key = request.getKey();
    requireKey(key);
    checkOptions(key, request.getOptions().getConcurrency(), request.getOptions().getConsistency());
    checkEtag(
        key, request.getEtag(), request.getOptions().getConcurrency(), current(key, overlay, now));
    overlay.put(key, null);
  }

  private Item current(String key, Map<String, Item> overlay, long now) {
    if (overlay.containsKey(key)) {
      return overlay.get(key);
    }
    return live(key, now);
  }

  private void checkEtag(String key, String etag, String concurrency, Item current) {
    if (etag.isEmpty()) {
      if ("first-write".equals(concurrency) && current != null) {
        throw new EtagMismatchException(
            name, key, "item already exists and no etag was given (first-write)");
      }
      return;
    }
    if (current == null || !current.etag.equals(etag)) {
      throw new EtagMismatchException(name, key, "etag does not match the stored item");
    }
  }

  private void commit(Map<String, Item> overlay) {
    overlay.forEach(
        (key, item) -> {
          if (item == null) {
            items.remove(key);
          } else {
            items.put(key, item);
          }
        });
  }

  private Item live(String key, long now) {
    Item item = items.get(key);
    if (item != null && item.expired(now)) {
      items.remove(key);
      return null;
    }
    return item;
  }

  private void requireKey(String key) {
    if (key.isEmpty()) {
      throw new InvalidStateRequestException(name, "key is empty");
    }
  }

  private void checkOptions(String key, String concurrency, String consistency) {
    if (!CONCURRENCY.contains(concurrency)) {
      throw new InvalidStateRequestException(
          name,
          "key '"
              + key
              + "': invalid concurrency '"
              + concurrency
              + "' (first-write or last-write)");
    }
    if (!CONSISTENCY.contains(consistency)) {
      throw new InvalidStateRequestException(
          name,
          "key '" + key + "': invalid consistency '" + consistency + "' (eventual or strong)");
    }
  }

  @Override
  public synchronized void close() {
    items.clear();
  }
}
