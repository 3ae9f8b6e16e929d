package dev.pillion;

/**
 * Whether the app behind a runtime can take work now, as an app health check (daprd's {@code
 * --enable-app-health-check}) last found it. While it answers false the app's subscriptions pause
 * (no message is pulled from the broker, so none is lost or counted as a retry) and invocations of
 * the app fail at once instead of reaching it. Implementations are thread-safe and cheap to ask:
 * the delivery loops ask before every pull.
 */
@FunctionalInterface
public interface AppHealth {
  /**
   * Whether the app is healthy now.
   *
   * @return true when work may go to the app
   */
  boolean healthy();

  /**
   * The health of an app that is not checked: always healthy.
   *
   * @return an app health that answers true
   */
  static AppHealth unchecked() {
    return () -> true;
  }
}
