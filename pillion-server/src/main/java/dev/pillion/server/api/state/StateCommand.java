package dev.pillion.server.api.state;

import dev.pillion.server.DaprApiError.StateOperation;
import dev.pillion.state.BulkStateItem;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.GetRequest;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A state request as both protocols map it: the store (found before the request is read, so an
 * unknown store is reported before a malformed body, as daprd does), the operation (which decides
 * daprd's error code) and what runs. {@link StateGateway#execute} runs every command the same way.
 *
 * @param <R> what the command returns
 */
sealed interface StateCommand<R> {
  /**
   * The store the command runs on.
   *
   * @return the store
   */
  StateStore store();

  /**
   * The operation, for daprd's error code.
   *
   * @return the operation
   */
  StateOperation operation();

  /**
   * Runs the command on its store.
   *
   * @return the result
   */
  R run();

  /** Reads one key. */
  record Get(StateStore store, GetRequest request) implements StateCommand<Optional<StateItem>> {
    @Override
    public StateOperation operation() {
      return StateOperation.GET;
    }

    @Override
    public Optional<StateItem> run() {
      return store.get(request);
    }
  }

  /** Reads many keys; a key that fails is reported in its item. */
  record BulkGet(StateStore store, List<String> keys, Map<String, String> metadata)
      implements StateCommand<List<BulkStateItem>> {
    public BulkGet {
      keys = List.copyOf(keys);
      metadata = Map.copyOf(metadata);
    }

    @Override
    public StateOperation operation() {
      return StateOperation.BULK_GET;
    }

    @Override
    public List<BulkStateItem> run() {
      return store.bulkGet(keys, metadata);
    }
  }

  /** Saves items as Dapr's save API does: one item as a single save, several as a bulk save. */
  record Save(StateStore store, List<SaveRequest> items) implements StateCommand<Void> {
    public Save {
      items = List.copyOf(items);
    }

    @Override
    public StateOperation operation() {
      return StateOperation.SAVE;
    }

    @Override
    public Void run() {
      if (items.size() == 1) {
        store.save(items.get(0));
      } else if (!items.isEmpty()) {
        store.saveAll(items);
      }
      return null;
    }
  }

  /** Deletes one key. */
  record Delete(StateStore store, DeleteRequest request) implements StateCommand<Void> {
    @Override
    public StateOperation operation() {
      return StateOperation.DELETE;
    }

    @Override
    public Void run() {
      store.delete(request);
      return null;
    }
  }

  /** Deletes many keys. */
  record BulkDelete(StateStore store, List<DeleteRequest> requests) implements StateCommand<Void> {
    public BulkDelete {
      requests = List.copyOf(requests);
    }

    @Override
    public StateOperation operation() {
      return StateOperation.BULK_DELETE;
    }

    @Override
    public Void run() {
      store.deleteAll(requests);
      return null;
    }
  }

  /** Runs operations as one transaction. */
  record Transaction(
      StateStore store, List<TransactionOperation> operations, Map<String, String> metadata)
      implements StateCommand<Void> {
    public Transaction {
      operations = List.copyOf(operations);
      metadata = Map.copyOf(metadata);
    }

    @Override
    public StateOperation operation() {
      return StateOperation.TRANSACTION;
    }

    @Override
    public Void run() {
      store.transact(operations, metadata);
      return null;
    }
  }
}
