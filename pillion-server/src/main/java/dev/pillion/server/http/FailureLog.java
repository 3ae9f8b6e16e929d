package dev.pillion.server.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Logs failures the HTTP API did not anticipate (each one is a bug): at WARNING the first time a
 * kind of failure (exception class and throwing frame) occurs, at DEBUG after that, so a client
 * that can trigger one cannot flood the log.
 */
final class FailureLog {
  private static final System.Logger LOG = System.getLogger(HttpApiHandler.class.getName());
  private static final int MAX_KINDS = 256;
  private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

  private FailureLog() {}

  /**
   * Logs an unexpected failure.
   *
   * @param what what was being done, e.g. "handling GET /v1.0/state/s/k"
   * @param failure the failure
   */
  static void unexpected(String what, Throwable failure) {
    StackTraceElement[] trace = failure.getStackTrace();
    String kind = failure.getClass().getName() + "@" + (trace.length > 0 ? trace[0] : "?");
    if (SEEN.size() < MAX_KINDS && SEEN.add(kind)) {
      LOG.log(
          System.Logger.Level.WARNING,
          "unexpected failure "
              + what
              + " (answered 500; further failures of this kind are logged at DEBUG)",
          failure);
    } else {
      LOG.log(System.Logger.Level.DEBUG, "unexpected failure " + what, failure);
    }
  }
}
