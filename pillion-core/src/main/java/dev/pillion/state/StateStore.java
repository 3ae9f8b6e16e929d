package dev.pillion.state;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A state store with Dapr's semantics, backed by one component. Keys are given as the application
 * sees them; the store adds its key prefix ({@code keyPrefix} metadata: appid by default).
 * Thread-safe.
 *
 * <p>Errors: {@link EtagMismatchException} when an etag does not match, {@link
 * InvalidStateRequestException} for a malformed request, {@link StateNotSupportedException} for an
 * operation the component lacks, {@link BulkStateException} naming each failed key of a bulk write,
 * and {@link StateException} otherwise.
 */
public interface StateStore {
  /**
   * The store's name (the component's {@code metadata.name}).
   *
   * @return the name
   */
  String name();

  /**
   * The features the component reports: {@link StateFeature#ETAG}, {@link
   * StateFeature#TRANSACTIONAL}, ...
   *
   * @return the feature strings
   */
  Set<String> features();

  /**
   * Reads a key.
   *
   * @param key the key
   * @return the item, or empty if the key does not exist (or has expired)
   */
  default Optional<StateItem> get(String key) {
    return get(GetRequest.of(key));
  }

  /**
   * Reads a key with options.
   *
   * @param request the key, consistency and metadata
   * @return the item, or empty if the key does not exist (or has expired)
   */
  Optional<StateItem> get(GetRequest request);

  /**
   * Reads many keys. Missing keys are returned as {@link BulkStateItem#missing(String)}, in request
   * order.
   *
   * @param keys the keys
   * @param metadata metadata passed with every read
   * @return one entry per key
   */
  List<BulkStateItem> bulkGet(List<String> keys, Map<String, String> metadata);

  /**
   * Reads many keys.
   *
   * @param keys the keys
   * @return one entry per key, in request order
   */
  default List<BulkStateItem> bulkGet(List<String> keys) {
    return bulkGet(keys, Map.of());
  }

  /**
   * Saves a value with default options (last-write, no etag).
   *
   * @param key the key
   * @param value the value
   */
  default void save(String key, byte[] value) {
    save(SaveRequest.builder(key, value).build());
  }

  /**
   * Saves UTF-8 text with default options.
   *
   * @param key the key
   * @param value the text
   */
  default void save(String key, String value) {
    save(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Saves one item.
   *
   * @param request the write
   */
  void save(SaveRequest request);

  /**
   * Saves several items. With a component that has bulk set, all items are written or none;
   * otherwise each item is written on its own and the failures are reported together.
   *
   * @param requests the writes
   * @throws BulkStateException naming every failed key
   */
  void saveAll(List<SaveRequest> requests);

  /**
   * Deletes a key (succeeds if it does not exist).
   *
   * @param key the key
   */
  default void delete(String key) {
    delete(DeleteRequest.of(key));
  }

  /**
   * Deletes one key with options.
   *
   * @param request the delete
   */
  void delete(DeleteRequest request);

  /**
   * Deletes several keys, like {@link #saveAll(List)}.
   *
   * @param requests the deletes
   * @throws BulkStateException naming every failed key
   */
  void deleteAll(List<DeleteRequest> requests);

  /**
   * Runs upserts and deletes in order, all or nothing. Needs the {@link StateFeature#TRANSACTIONAL}
   * feature.
   *
   * @param operations the operations
   * @param metadata metadata for the whole transaction
   */
  void transact(List<TransactionOperation> operations, Map<String, String> metadata);

  /**
   * Runs a transaction without metadata.
   *
   * @param operations the operations
   */
  default void transact(List<TransactionOperation> operations) {
    transact(operations, Map.of());
  }
}
