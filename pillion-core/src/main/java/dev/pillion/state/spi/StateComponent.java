package dev.pillion.state.spi;

import dev.pillion.abi.state.BulkDeleteRequest;
import dev.pillion.abi.state.BulkGetItem;
import dev.pillion.abi.state.BulkGetRequest;
import dev.pillion.abi.state.BulkSetRequest;
import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.abi.state.TransactRequest;
import dev.pillion.block.BlockComponent;
import dev.pillion.state.BulkStateException;
import dev.pillion.state.StateException;
import dev.pillion.state.StateNotSupportedException;
import java.util.ArrayList;
import java.util.List;

/**
 * A state component as the building block sees it: the contract's messages ({@code
 * proto/state/state.proto}) in, typed {@link StateException}s out. Keys here already carry the
 * store's prefix. Implementations: the Wasm adapter (any ABI module) and the plain-Java reference
 * store. Must be thread-safe.
 *
 * <p>Bulk methods default to loops of single calls (not atomic); {@link #transact} defaults to
 * unsupported.
 */
public interface StateComponent extends BlockComponent {
  /**
   * Reads a key; a missing key is a response with empty data and etag.
   *
   * @param request the read
   * @return the response
   */
  GetResponse get(GetRequest request);

  /**
   * Writes a key.
   *
   * @param request the write
   */
  void set(SetRequest request);

  /**
   * Deletes a key.
   *
   * @param request the delete
   */
  void delete(DeleteRequest request);

  /**
   * Reads many keys, one item per request in order.
   *
   * @param request the reads
   * @return the items
   */
  default List<BulkGetItem> bulkGet(BulkGetRequest request) {
    List<BulkGetItem> items = new ArrayList<>(request.getItemsCount());
    for (GetRequest get : request.getItemsList()) {
      BulkGetItem.Builder item = BulkGetItem.newBuilder().setKey(get.getKey());
      try {
        GetResponse response = get(get);
        item.setData(response.getData())
            .setEtag(response.getEtag())
            .putAllMetadata(response.getMetadataMap())
            .setContentType(response.getContentType());
      } catch (StateException e) {
        item.setError(e.getMessage());
      }
      items.add(item.build());
    }
    return items;
  }

  /**
   * Writes many keys; by default one by one, collecting failures.
   *
   * @param request the writes
   * @throws BulkStateException naming each failed key
   */
  default void bulkSet(BulkSetRequest request) {
    List<BulkStateException.KeyFailure> failures = new ArrayList<>();
    for (SetRequest set : request.getItemsList()) {
      try {
        set(set);
      } catch (StateException e) {
        failures.add(new BulkStateException.KeyFailure(set.getKey(), e));
      }
    }
    if (!failures.isEmpty()) {
      throw new BulkStateException(name(), "bulk save", failures);
    }
  }

  /**
   * Deletes many keys; by default one by one, collecting failures.
   *
   * @param request the deletes
   * @throws BulkStateException naming each failed key
   */
  default void bulkDelete(BulkDeleteRequest request) {
    List<BulkStateException.KeyFailure> failures = new ArrayList<>();
    for (DeleteRequest delete : request.getItemsList()) {
      try {
        delete(delete);
      } catch (StateException e) {
        failures.add(new BulkStateException.KeyFailure(delete.getKey(), e));
      }
    }
    if (!failures.isEmpty()) {
      throw new BulkStateException(name(), "bulk delete", failures);
    }
  }

  /**
   * Runs a transaction, all or nothing.
   *
   * @param request the operations in order
   */
  default void transact(TransactRequest request) {
    throw new StateNotSupportedException(
        name(), "transactions are not supported by this component");
  }

  /** Checks the component (and its backend) is reachable. */
  default void ping() {}
}
