package dev.pillion.server;

import dev.pillion.Pillion;
import dev.pillion.server.DaprApiError.StateOperation;
import dev.pillion.state.Concurrency;
import dev.pillion.state.Consistency;
import dev.pillion.state.StateException;
import dev.pillion.state.StateStore;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * What the HTTP and gRPC faces share: finding a state store by name and turning state failures into
 * daprd's errors.
 */
public final class StateGateway {
  private final Pillion runtime;

  /**
   * Creates the gateway.
   *
   * @param runtime the runtime whose stores are served
   */
  public StateGateway(Pillion runtime) {
    this.runtime = runtime;
  }

  /**
   * The runtime served.
   *
   * @return the runtime
   */
  public Pillion runtime() {
    return runtime;
  }

  /**
   * A store by name.
   *
   * @param name the store's name from the request
   * @return the store
   * @throws DaprApiException ERR_STATE_STORE_NOT_FOUND or ERR_STATE_STORE_NOT_CONFIGURED
   */
  public StateStore store(String name) {
    if (runtime.stateStoreNames().isEmpty()) {
      throw new DaprApiException(DaprApiError.storeNotFound(name, false));
    }
    if (!runtime.stateStoreNames().contains(name)) {
      throw new DaprApiException(DaprApiError.storeNotFound(name, true));
    }
    return runtime.state(name);
  }

  /**
   * Runs a state operation, mapping its failures.
   *
   * @param operation which operation, for the error code
   * @param action the operation
   * @param <T> its result
   * @return the result
   * @throws DaprApiException with daprd's error for the failure
   */
  public <T> T run(StateOperation operation, Supplier<T> action) {
    try {
      return action.get();
    } catch (StateException e) {
      throw new DaprApiException(
          DaprApiError.fromState(operation, e, !runtime.stateStoreNames().isEmpty()));
    }
  }

  /**
   * Saves items as Dapr's save API does: one item as a single save, several as a bulk save.
   *
   * @param store the store
   * @param saves the items
   */
  public void save(StateStore store, java.util.List<dev.pillion.state.SaveRequest> saves) {
    run(
        StateOperation.SAVE,
        () -> {
          if (saves.size() == 1) {
            store.save(saves.get(0));
          } else if (!saves.isEmpty()) {
            store.saveAll(saves);
          }
          return null;
        });
  }

  /**
   * Checks a content type given with a save: it is sent back as the {@code Content-Type} header of
   * every HTTP read of the item, so it must be a valid header value (printable ASCII, no line
   * breaks, not starting with a space). Checked when saving, so a bad one is refused with a 400
   * instead of breaking every later read.
   *
   * @param contentType the content type
   * @param field its name in the request, for the message
   * @return the content type
   * @throws DaprApiException ERR_MALFORMED_REQUEST naming the field
   */
  public static String checkContentType(String contentType, String field) {
    for (int i = 0; i < contentType.length(); i++) {
      char c = contentType.charAt(i);
      if (c < 0x20 || c > 0x7e || i == 0 && c == ' ') {
        throw new DaprApiException(
            DaprApiError.malformed(
                field
                    + " must be a media type of printable ASCII characters (such as"
                    + " application/json); it has "
                    + (c < 0x20 || c == 0x7f
                        ? "the control character 0x" + Integer.toHexString(c)
                        : c == ' ' ? "a leading space" : "the non-ASCII character '" + c + "'")
                    + " at index "
                    + i));
      }
    }
    return contentType;
  }

  /**
   * Parses Dapr's concurrency value.
   *
   * @param value {@code first-write}, {@code last-write} or empty
   * @return the option (empty means last-write)
   * @throws DaprApiException ERR_MALFORMED_REQUEST for other values
   */
  public static Concurrency concurrency(String value) {
    if (value == null || value.isEmpty()) {
      return Concurrency.LAST_WRITE;
    }
    return Concurrency.parse(value.toLowerCase(Locale.ROOT))
        .orElseThrow(
            () ->
                new DaprApiException(
                    DaprApiError.malformed(
                        "invalid concurrency '"
                            + value
                            + "' (expected first-write or last-write)")));
  }

  /**
   * Parses Dapr's consistency value.
   *
   * @param value {@code eventual}, {@code strong} or empty
   * @return the option (empty means eventual)
   * @throws DaprApiException ERR_MALFORMED_REQUEST for other values
   */
  public static Consistency consistency(String value) {
    if (value == null || value.isEmpty()) {
      return Consistency.EVENTUAL;
    }
    return Consistency.parse(value.toLowerCase(Locale.ROOT))
        .orElseThrow(
            () ->
                new DaprApiException(
                    DaprApiError.malformed(
                        "invalid consistency '" + value + "' (expected eventual or strong)")));
  }
}
