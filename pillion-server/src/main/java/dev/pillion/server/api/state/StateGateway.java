package dev.pillion.server.api.state;

import dev.pillion.Pillion;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.spi.ComponentCalls;
import dev.pillion.state.Concurrency;
import dev.pillion.state.Consistency;
import dev.pillion.state.StateException;
import dev.pillion.state.StateStore;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/**
 * What the HTTP and gRPC mappings of the state API share: finding a store by name, running a {@link
 * StateCommand} where its component belongs, and turning state failures into daprd's errors.
 */
final class StateGateway {
  private final Pillion runtime;
  private final ComponentCalls calls;

  StateGateway(Pillion runtime, ComponentCalls calls) {
    this.runtime = runtime;
    this.calls = calls;
  }

  /**
   * A store by name.
   *
   * @param name the store's name from the request
   * @return the store
   * @throws DaprApiException ERR_STATE_STORE_NOT_FOUND or ERR_STATE_STORE_NOT_CONFIGURED
   */
  StateStore store(String name) {
    if (runtime.stateStoreNames().isEmpty()) {
      throw new DaprApiException(DaprApiError.storeNotFound(name, false));
    }
    if (!runtime.stateStoreNames().contains(name)) {
      throw new DaprApiException(DaprApiError.storeNotFound(name, true));
    }
    return runtime.state(name);
  }

  /**
   * Runs a command: on the calling thread, or on the blocking executor when its store is blocking.
   *
   * @param command the command
   * @param <T> its result
   * @return the result, or daprd's error for the failure
   */
  <T> CompletionStage<T> execute(StateCommand<T> command) {
    return calls.call(
        command.store().name(),
        () -> {
          try {
            return command.run();
          } catch (StateException e) {
            throw new DaprApiException(
                DaprApiError.fromState(
                    command.operation(), e, !runtime.stateStoreNames().isEmpty()));
          }
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
  static String checkContentType(String contentType, String field) {
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
  static Concurrency concurrency(String value) {
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
  static Consistency consistency(String value) {
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
