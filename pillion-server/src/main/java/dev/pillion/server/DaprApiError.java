package dev.pillion.server;

import dev.pillion.state.BulkStateException;
import dev.pillion.state.EtagInvalidException;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.IllegalKeyException;
import dev.pillion.state.InvalidStateRequestException;
import dev.pillion.state.StateException;
import dev.pillion.state.StateLimitException;
import dev.pillion.state.StateNotSupportedException;
import dev.pillion.state.StateStoreNotFoundException;
import io.grpc.Status;

/**
 * An error as daprd reports it: HTTP status and {@code errorCode} for the HTTP API, gRPC status and
 * {@code ErrorInfo} reason for the gRPC API, with the same message on both.
 *
 * @param httpStatus the HTTP status code
 * @param errorCode the HTTP body's errorCode, e.g. {@code ERR_STATE_STORE_NOT_FOUND}
 * @param grpcCode the gRPC status code
 * @param reason the reason of the gRPC ErrorInfo detail
 * @param message the human-readable message
 */
public record DaprApiError(
    int httpStatus, String errorCode, Status.Code grpcCode, String reason, String message) {

  /** The state operation an error came from: it decides the errorCode of store failures. */
  public enum StateOperation {
    /** GetState. */
    GET("ERR_STATE_GET"),
    /** SaveState. */
    SAVE("ERR_STATE_SAVE"),
    /** DeleteState. */
    DELETE("ERR_STATE_DELETE"),
    /** GetBulkState. */
    BULK_GET("ERR_STATE_BULK_GET"),
    /** DeleteBulkState. */
    BULK_DELETE("ERR_STATE_BULK_DELETE"),
    /** ExecuteStateTransaction. */
    TRANSACTION("ERR_STATE_TRANSACTION");

    private final String errorCode;

    StateOperation(String errorCode) {
      this.errorCode = errorCode;
    }

    /**
     * The errorCode daprd uses when the store fails this operation.
     *
     * @return e.g. {@code ERR_STATE_GET}
     */
    public String errorCode() {
      return errorCode;
    }
  }

  /**
   * A malformed request (bad JSON, missing field).
   *
   * @param message what is wrong
   * @return the error
   */
  public static DaprApiError malformed(String message) {
    return new DaprApiError(
        400,
        "ERR_MALFORMED_REQUEST",
        Status.Code.INVALID_ARGUMENT,
        "ERR_MALFORMED_REQUEST",
        message);
  }

  /**
   * A Dapr API Pillion does not provide: 501 over HTTP, UNIMPLEMENTED over gRPC.
   *
   * @param what the API, e.g. "the state query API (alpha1)"
   * @return the error
   */
  public static DaprApiError notImplemented(String what) {
    return new DaprApiError(
        501,
        "ERR_NOT_IMPLEMENTED",
        Status.Code.UNIMPLEMENTED,
        "ERR_NOT_IMPLEMENTED",
        what + " is not implemented by Pillion");
  }

  /**
   * The runtime is not ready yet ({@code GET /v1.0/healthz} before the app's subscriptions are
   * started), with daprd's code and message prefix.
   *
   * @param waitingFor what the runtime still waits for
   * @return the error
   */
  public static DaprApiError healthNotReady(String waitingFor) {
    return new DaprApiError(
        500,
        "ERR_HEALTH_NOT_READY",
        Status.Code.INTERNAL,
        "ERR_HEALTH_NOT_READY",
        "dapr is not ready: waiting for " + waitingFor);
  }

  /**
   * A transaction operation type other than upsert and delete.
   *
   * @param type the type given
   * @return the error
   */
  public static DaprApiError unsupportedOperation(String type) {
    return new DaprApiError(
        400,
        "ERR_NOT_SUPPORTED_STATE_OPERATION",
        Status.Code.UNIMPLEMENTED,
        "ERR_NOT_SUPPORTED_STATE_OPERATION",
        "operation type " + type + " not supported");
  }

  /**
   * A failure Pillion did not anticipate.
   *
   * @param cause the failure
   * @return the error
   */
  public static DaprApiError internal(Throwable cause) {
    return new DaprApiError(
        500, "ERR_INTERNAL", Status.Code.INTERNAL, "ERR_INTERNAL", String.valueOf(cause));
  }

  /**
   * A call into a blocking component refused because its executor is full (every thread busy and
   * the queue at capacity): 429 / RESOURCE_EXHAUSTED, so the client backs off and retries, as for
   * any other overload.
   *
   * @param component the component called
   * @param why what is full
   * @return the error
   */
  public static DaprApiError componentBusy(String component, String why) {
    return new DaprApiError(
        429,
        "ERR_TOO_MANY_REQUESTS",
        Status.Code.RESOURCE_EXHAUSTED,
        "ERR_TOO_MANY_REQUESTS",
        "the call to component '" + component + "' was refused: " + why);
  }

  /**
   * A missing or wrong API token.
   *
   * @return the error
   */
  public static DaprApiError unauthorized() {
    return new DaprApiError(
        401,
        "ERR_UNAUTHORIZED",
        Status.Code.UNAUTHENTICATED,
        "ERR_UNAUTHORIZED",
        "invalid api token");
  }

  /**
   * The state store is not loaded.
   *
   * @param store the name asked for
   * @param anyConfigured whether any state store is loaded
   * @return the error
   */
  public static DaprApiError storeNotFound(String store, boolean anyConfigured) {
    if (!anyConfigured) {
      return new DaprApiError(
          500,
          "ERR_STATE_STORE_NOT_CONFIGURED",
          Status.Code.FAILED_PRECONDITION,
          "DAPR_STATE_NOT_CONFIGURED",
          "state store is not configured");
    }
    return new DaprApiError(
        400,
        "ERR_STATE_STORE_NOT_FOUND",
        Status.Code.INVALID_ARGUMENT,
        "DAPR_STATE_NOT_FOUND",
        "state store " + store + " is not found");
  }

  /**
   * The pub/sub component is not loaded, or the name is empty.
   *
   * @param pubsub the name asked for
   * @param anyConfigured whether any pub/sub component is loaded
   * @return the error
   */
  public static DaprApiError pubsubNotFound(String pubsub, boolean anyConfigured) {
    if (pubsub.isEmpty()) {
      return new DaprApiError(
          404,
          "ERR_PUBSUB_EMPTY",
          Status.Code.INVALID_ARGUMENT,
          "DAPR_PUBSUB_NAME_EMPTY",
          "pubsub name is empty");
    }
    if (!anyConfigured) {
      return new DaprApiError(
          400,
          "ERR_PUBSUB_NOT_CONFIGURED",
          Status.Code.FAILED_PRECONDITION,
          "DAPR_PUBSUB_NOT_CONFIGURED",
          "no pubsub is configured");
    }
    return new DaprApiError(
        404,
        "ERR_PUBSUB_NOT_FOUND",
        Status.Code.INVALID_ARGUMENT,
        "DAPR_PUBSUB_NOT_FOUND",
        "pubsub " + pubsub + " is not found");
  }

  /**
   * The topic is empty.
   *
   * @param pubsub the pub/sub component
   * @return the error
   */
  public static DaprApiError topicEmpty(String pubsub) {
    return new DaprApiError(
        404,
        "ERR_TOPIC_NAME_EMPTY",
        Status.Code.INVALID_ARGUMENT,
        "DAPR_PUBSUB_TOPIC_NAME_EMPTY",
        "topic is empty in pubsub " + pubsub);
  }

  /**
   * Maps a publish failure to daprd's error.
   *
   * @param error the failure
   * @return the error
   */
  public static DaprApiError fromPublish(dev.pillion.pubsub.PubSubException error) {
    if (error instanceof dev.pillion.pubsub.BulkEntryIdException) {
      return new DaprApiError(
          400,
          "ERR_PUBSUB_EVENTS_SER",
          Status.Code.INVALID_ARGUMENT,
          "DAPR_PUBSUB_MARSHAL_EVENTS",
          error.getMessage());
    }
    if (error instanceof dev.pillion.pubsub.InvalidPublishException) {
      return new DaprApiError(
          400,
          "ERR_PUBSUB_CLOUD_EVENTS_SER",
          Status.Code.INVALID_ARGUMENT,
          "DAPR_PUBSUB_CLOUD_EVENTS_SER",
          error.getMessage());
    }
    if (error instanceof dev.pillion.pubsub.PubSubLimitException) {
      // The broker is full: back-pressure, refused whole; the publisher may retry later.
      return new DaprApiError(
          429,
          "ERR_PUBSUB_PUBLISH_MESSAGE",
          Status.Code.RESOURCE_EXHAUSTED,
          "DAPR_PUBSUB_PUBLISH_MESSAGE",
          error.getMessage());
    }
    return new DaprApiError(
        500,
        "ERR_PUBSUB_PUBLISH_MESSAGE",
        Status.Code.INTERNAL,
        "DAPR_PUBSUB_PUBLISH_MESSAGE",
        error.getMessage());
  }

  /**
   * Maps a state failure to daprd's error.
   *
   * @param operation the operation that failed
   * @param error the failure
   * @param anyConfigured whether any state store is loaded
   * @return the error
   */
  public static DaprApiError fromState(
      StateOperation operation, StateException error, boolean anyConfigured) {
    String code = operation.errorCode();
    String message = error.getMessage();
    if (error instanceof StateStoreNotFoundException) {
      return storeNotFound(error.store(), anyConfigured);
    }
    if (error instanceof EtagMismatchException) {
      return new DaprApiError(409, code, Status.Code.ABORTED, code, message);
    }
    if (error instanceof EtagInvalidException) {
      return new DaprApiError(400, code, Status.Code.INVALID_ARGUMENT, code, message);
    }
    if (error instanceof InvalidStateRequestException) {
      String reason = error instanceof IllegalKeyException ? "DAPR_STATE_ILLEGAL_KEY" : code;
      return new DaprApiError(
          400, "ERR_MALFORMED_REQUEST", Status.Code.INVALID_ARGUMENT, reason, message);
    }
    if (error instanceof StateNotSupportedException) {
      if (operation == StateOperation.TRANSACTION) {
        return new DaprApiError(
            500,
            "ERR_STATE_STORE_NOT_SUPPORTED",
            Status.Code.UNIMPLEMENTED,
            "DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED",
            message);
      }
      return new DaprApiError(400, code, Status.Code.INVALID_ARGUMENT, code, message);
    }
    if (error instanceof StateLimitException) {
      // Refused whole and changed nothing: the client may retry a smaller request.
      return new DaprApiError(413, code, Status.Code.RESOURCE_EXHAUSTED, code, message);
    }
    if (error instanceof BulkStateException bulk
        && !bulk.failures().isEmpty()
        && bulk.failures().stream().allMatch(f -> f.error() instanceof StateLimitException)) {
      return new DaprApiError(413, code, Status.Code.RESOURCE_EXHAUSTED, code, message);
    }
    if (error instanceof BulkStateException bulk
        && !bulk.failures().isEmpty()
        && bulk.failures().stream().allMatch(f -> f.error() instanceof EtagMismatchException)) {
      return new DaprApiError(409, code, Status.Code.ABORTED, code, message);
    }
    return new DaprApiError(500, code, Status.Code.INTERNAL, code, message);
  }
}
