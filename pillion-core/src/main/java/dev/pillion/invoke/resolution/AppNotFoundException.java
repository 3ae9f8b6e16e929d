package dev.pillion.invoke.resolution;

/** No live instance of an app id is known to the resolver. */
public class AppNotFoundException extends NameResolutionException {
  private static final long serialVersionUID = 1L;

  private final String appId;
  private final String namespace;

  /**
   * Creates the exception.
   *
   * @param appId the app id asked for
   * @param namespace its namespace
   * @param detail why it was not found, naming the resolver
   */
  public AppNotFoundException(String appId, String namespace, String detail) {
    super("app id '" + appId + "' in namespace '" + namespace + "' not found: " + detail);
    this.appId = appId;
    this.namespace = namespace;
  }

  /**
   * Creates the exception with a cause.
   *
   * @param appId the app id asked for
   * @param namespace its namespace
   * @param detail why it was not found, naming the resolver
   * @param cause the underlying failure
   */
  public AppNotFoundException(String appId, String namespace, String detail, Throwable cause) {
    super("app id '" + appId + "' in namespace '" + namespace + "' not found: " + detail, cause);
    this.appId = appId;
    this.namespace = namespace;
  }

  /**
   * The app id asked for.
   *
   * @return the app id
   */
  public String appId() {
    return appId;
  }

  /**
   * The namespace asked for.
   *
   * @return the namespace
   */
  public String namespace() {
    return namespace;
  }
}
