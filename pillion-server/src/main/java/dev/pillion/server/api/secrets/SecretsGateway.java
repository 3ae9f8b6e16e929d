package dev.pillion.server.api.secrets;

import dev.pillion.Pillion;
import dev.pillion.secrets.SecretPermissionDeniedException;
import dev.pillion.secrets.SecretStore;
import dev.pillion.secrets.SecretsException;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.spi.ComponentCalls;
import io.grpc.Status;
import java.util.concurrent.CompletionStage;

/**
 * What the HTTP and gRPC mappings of the secrets API share: finding a store by name, running a
 * {@link SecretsCommand} where its component belongs, and daprd's errors ({@code
 * pkg/messages/predefined.go}: the same text on both protocols; the ErrorInfo reason, which daprd
 * does not send for these errors, is the HTTP errorCode).
 */
final class SecretsGateway {
  private static final String STORE_NOT_FOUND = "ERR_SECRET_STORE_NOT_FOUND";
  private static final String NOT_CONFIGURED = "ERR_SECRET_STORES_NOT_CONFIGURED";
  private static final String PERMISSION_DENIED = "ERR_PERMISSION_DENIED";
  private static final String GET_FAILED = "ERR_SECRET_GET";

  private final Pillion runtime;
  private final ComponentCalls calls;

  SecretsGateway(Pillion runtime, ComponentCalls calls) {
    this.runtime = runtime;
    this.calls = calls;
  }

  /**
   * A store by name.
   *
   * @param name the store's name from the request
   * @return the store
   * @throws DaprApiException ERR_SECRET_STORES_NOT_CONFIGURED when no secret store is loaded,
   *     ERR_SECRET_STORE_NOT_FOUND when this one is not
   */
  SecretStore store(String name) {
    if (runtime.secretStoreNames().isEmpty()) {
      throw new DaprApiException(
          new DaprApiError(
              500,
              NOT_CONFIGURED,
              Status.Code.FAILED_PRECONDITION,
              NOT_CONFIGURED,
              "secret store is not configured"));
    }
    if (!runtime.secretStoreNames().contains(name)) {
      // daprd answers 401 here (not 400 or 404): kept, since clients may test for it.
      throw new DaprApiException(
          new DaprApiError(
              401,
              STORE_NOT_FOUND,
              Status.Code.INVALID_ARGUMENT,
              STORE_NOT_FOUND,
              "failed finding secret store with key " + name));
    }
    return runtime.secrets(name);
  }

  /**
   * Runs a command: on the calling thread, or on the blocking executor when its store is blocking.
   *
   * @param command the command
   * @param <T> its result
   * @return the result, or daprd's error for the failure
   */
  <T> CompletionStage<T> execute(SecretsCommand<T> command) {
    return calls.call(
        command.store().name(),
        () -> {
          try {
            return command.run();
          } catch (SecretsException e) {
            throw new DaprApiException(error(command, e));
          }
        });
  }

  private static DaprApiError error(SecretsCommand<?> command, SecretsException failure) {
    String store = command.store().name();
    if (failure instanceof SecretPermissionDeniedException denied) {
      return new DaprApiError(
          403,
          PERMISSION_DENIED,
          Status.Code.PERMISSION_DENIED,
          PERMISSION_DENIED,
          "access denied by policy to get " + quoted(denied.secret()) + " from " + quoted(store));
    }
    // daprd puts the component's own words after the colon, the store named once, before them.
    String detail = failure.detail();
    String message =
        command instanceof SecretsCommand.Get get
            ? "failed getting secret with key "
                + get.name()
                + " from secret store "
                + store
                + ": "
                + detail
            : "failed getting secrets from secret store " + store + ": " + detail;
    return new DaprApiError(500, GET_FAILED, Status.Code.INTERNAL, GET_FAILED, message);
  }

  /**
   * A string as Go's {@code %q} writes it: in double quotes, with quotes and backslashes escaped.
   */
  static String quoted(String text) {
    StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\r' -> quoted.append("\\r");
        case '\t' -> quoted.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            quoted.append(String.format("\\x%02x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }
}
