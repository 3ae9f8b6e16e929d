package dev.pillion.server;

import java.util.Locale;

/**
 * The API log ({@code --enable-api-logging}): one INFO entry per call to the Dapr API, naming the
 * protocol, the method and path (HTTP) or the full method name (gRPC), the status and the time the
 * call took, as daprd logs API calls. Written to the logger {@value #LOGGER_NAME}, so a host can
 * set its level apart from the rest of the runtime (daprd shows API calls even when its log level
 * is above info).
 */
public final class ApiLog {
  /** The name of the logger API calls are written to. */
  public static final String LOGGER_NAME = "dev.pillion.server.api";

  private static final System.Logger LOG = System.getLogger(LOGGER_NAME);

  private ApiLog() {}

  /**
   * Logs one call.
   *
   * @param protocol {@code HTTP} or {@code gRPC}
   * @param method {@code POST /v1.0/state/statestore} or {@code
   *     /dapr.proto.runtime.v1.Dapr/SaveState}
   * @param status the HTTP status code or the gRPC status code's name
   * @param nanos how long the call took
   */
  public static void call(String protocol, String method, String status, long nanos) {
    if (LOG.isLoggable(System.Logger.Level.INFO)) {
      LOG.log(
          System.Logger.Level.INFO,
          String.format(
              Locale.ROOT,
              "%s API called: %s, status %s, %.2f ms",
              protocol,
              method,
              status,
              nanos / 1e6));
    }
  }
}
