package dev.pillion.invoke;

/**
 * The target app's runtime is up but its app health check finds the app unhealthy, so the call was
 * not sent to the app. The message is daprd's ({@code app is not in a healthy state}), which
 * callers and tools match on.
 */
public class AppUnhealthyException extends AppUnreachableException {
  private static final long serialVersionUID = 1L;

  /** daprd's message for a call to an app its health check finds unhealthy. */
  public static final String MESSAGE = "app is not in a healthy state";

  /**
   * Creates the exception.
   *
   * @param appId the target app id
   */
  public AppUnhealthyException(String appId) {
    super(appId, MESSAGE);
  }
}
