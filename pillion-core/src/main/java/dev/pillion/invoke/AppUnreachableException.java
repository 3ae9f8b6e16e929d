package dev.pillion.invoke;

/**
 * The target app was found but could not be reached: its runtime refused the connection or failed
 * the call, or the runtime in front of it has no way to call its app.
 */
public class AppUnreachableException extends InvocationException {
  private static final long serialVersionUID = 1L;

  private final String appId;

  /**
   * Creates the exception.
   *
   * @param appId the target app id
   * @param message what went wrong
   */
  public AppUnreachableException(String appId, String message) {
    super(message);
    this.appId = appId;
  }

  /**
   * Creates the exception with a cause.
   *
   * @param appId the target app id
   * @param message what went wrong
   * @param cause the underlying failure
   */
  public AppUnreachableException(String appId, String message, Throwable cause) {
    super(message, cause);
    this.appId = appId;
  }

  /**
   * The target app id.
   *
   * @return the app id
   */
  public String appId() {
    return appId;
  }
}
