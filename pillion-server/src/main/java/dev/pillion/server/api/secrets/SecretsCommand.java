package dev.pillion.server.api.secrets;

import dev.pillion.secrets.SecretStore;
import java.util.Map;

/**
 * A secrets request as both protocols map it: the store (found before anything else, so an unknown
 * store is reported first, as daprd does) and what runs. {@link SecretsGateway#execute} runs every
 * command the same way and maps its failure to daprd's error.
 *
 * @param <R> what the command returns
 */
sealed interface SecretsCommand<R> {
  /**
   * The store the command reads.
   *
   * @return the store
   */
  SecretStore store();

  /**
   * Runs the command on its store.
   *
   * @return the result
   */
  R run();

  /** Reads one secret: its keys and values. */
  record Get(SecretStore store, String name, Map<String, String> metadata)
      implements SecretsCommand<Map<String, String>> {
    public Get {
      metadata = Map.copyOf(metadata);
    }

    @Override
    public Map<String, String> run() {
      return store.get(name, metadata);
    }
  }

  /** Reads every secret the app may read: by name, each its keys and values. */
  record BulkGet(SecretStore store, Map<String, String> metadata)
      implements SecretsCommand<Map<String, Map<String, String>>> {
    public BulkGet {
      metadata = Map.copyOf(metadata);
    }

    @Override
    public Map<String, Map<String, String>> run() {
      return store.bulkGet(metadata);
    }
  }
}
