package dev.pillion.state;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Some items of a bulk save or delete failed; {@link #failures()} names each key with its error.
 */
public class BulkStateException extends StateException {
  private static final long serialVersionUID = 1L;

  private final String operation;
  private final transient List<KeyFailure> failures;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param operation "bulk save" or "bulk delete"
   * @param failures one entry per failed key
   */
  public BulkStateException(String store, String operation, List<KeyFailure> failures) {
    super(
        store,
        operation
            + " failed for "
            + failures.size()
            + " key(s): "
            + failures.stream()
                .map(f -> "'" + f.key() + "' (" + f.error().getMessage() + ")")
                .collect(Collectors.joining("; ")),
        failures.isEmpty() ? null : failures.get(0).error());
    this.operation = operation;
    this.failures = List.copyOf(failures);
  }

  /**
   * The operation that failed.
   *
   * @return "bulk save" or "bulk delete"
   */
  public String operation() {
    return operation;
  }

  /**
   * The failed keys and their errors, in request order.
   *
   * @return the failures
   */
  public List<KeyFailure> failures() {
    return failures;
  }

  /**
   * One failed key.
   *
   * @param key the key as the application gave it
   * @param error why it failed, e.g. an {@link EtagMismatchException}
   */
  public record KeyFailure(String key, StateException error) {}
}
