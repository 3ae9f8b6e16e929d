package dev.pillion.invoke.resolution;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * One running instance of an app, as its runtime registers it with a name resolver: the app id and
 * namespace it answers for, and where its runtime listens. Immutable; made with {@link #builder()}.
 */
public final class AppInstance {
  private final String appId;
  private final String namespace;
  private final String host;
  private final int internalGrpcPort;
  private final int httpPort;
  private final long pid;

  private AppInstance(Builder builder) {
    this.appId = builder.appId;
    this.namespace = builder.namespace;
    this.host = builder.host;
    this.internalGrpcPort = builder.internalGrpcPort;
    this.httpPort = builder.httpPort;
    this.pid = builder.pid;
  }

  /**
   * A builder; the app id and the internal gRPC port are required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Checks an app id as a target or a registration names it: not blank, and without a dot, which
   * separates the app id from its namespace in {@code appId.namespace}.
   *
   * @param appId the app id
   * @param role what the app id is, for the message ("app id", "target app id")
   * @return the app id
   * @throws IllegalArgumentException naming what is wrong
   */
  public static String checkAppId(String appId, String role) {
    if (appId == null || appId.isBlank()) {
      throw new IllegalArgumentException(role + " is empty");
    }
    if (appId.indexOf('.') >= 0) {
      throw new IllegalArgumentException(
          role + " '" + appId + "' contains a dot ('.' separates the app id from its namespace)");
    }
    if (!appId.strip().equals(appId) || appId.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          role + " '" + appId + "' has surrounding spaces or control characters");
    }
    return appId;
  }

  /**
   * The app id.
   *
   * @return the app id
   */
  public String appId() {
    return appId;
  }

  /**
   * The namespace; {@code default} unless set.
   *
   * @return the namespace
   */
  public String namespace() {
    return namespace;
  }

  /**
   * The host other runtimes reach this one at; {@code 127.0.0.1} unless set.
   *
   * @return the host
   */
  public String host() {
    return host;
  }

  /**
   * The port of this runtime's internal gRPC endpoint.
   *
   * @return the port
   */
  public int internalGrpcPort() {
    return internalGrpcPort;
  }

  /**
   * The port of this runtime's Dapr HTTP API, when it serves one.
   *
   * @return the port, or empty
   */
  public OptionalInt httpPort() {
    return httpPort == 0 ? OptionalInt.empty() : OptionalInt.of(httpPort);
  }

  /**
   * The process the runtime runs in; the current process unless set.
   *
   * @return the process id
   */
  public long pid() {
    return pid;
  }

  /**
   * Where other runtimes reach this instance.
   *
   * @return host and internal gRPC port
   */
  public AppAddress address() {
    return new AppAddress(host, internalGrpcPort);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof AppInstance that
        && appId.equals(that.appId)
        && namespace.equals(that.namespace)
        && host.equals(that.host)
        && internalGrpcPort == that.internalGrpcPort
        && httpPort == that.httpPort
        && pid == that.pid;
  }

  @Override
  public int hashCode() {
    return Objects.hash(appId, namespace, host, internalGrpcPort, httpPort, pid);
  }

  @Override
  public String toString() {
    return "app '"
        + appId
        + "' (namespace '"
        + namespace
        + "', pid "
        + pid
        + ") at "
        + address().authority();
  }

  /** Builds an {@link AppInstance}. */
  public static final class Builder {
    private String appId;
    private String namespace = "default";
    private String host = "127.0.0.1";
    private int internalGrpcPort;
    private int httpPort;
    private long pid = ProcessHandle.current().pid();

    private Builder() {}

    /**
     * The app id (required).
     *
     * @param appId the app id; no dots
     * @return this builder
     */
    public Builder appId(String appId) {
      this.appId = checkAppId(appId, "app id");
      return this;
    }

    /**
     * The namespace.
     *
     * @param namespace the namespace; no dots
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = checkAppId(namespace, "namespace");
      return this;
    }

    /**
     * The host other runtimes reach this one at.
     *
     * @param host a host name or IP literal
     * @return this builder
     */
    public Builder host(String host) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host is empty");
      }
      this.host = host;
      return this;
    }

    /**
     * The internal gRPC port (required).
     *
     * @param port 1 to 65535
     * @return this builder
     */
    public Builder internalGrpcPort(int port) {
      this.internalGrpcPort = checkPort(port, "internal gRPC port");
      return this;
    }

    /**
     * The Dapr HTTP API port.
     *
     * @param port 1 to 65535
     * @return this builder
     */
    public Builder httpPort(int port) {
      this.httpPort = checkPort(port, "HTTP port");
      return this;
    }

    /**
     * The process the runtime runs in.
     *
     * @param pid a process id
     * @return this builder
     */
    public Builder pid(long pid) {
      if (pid <= 0) {
        throw new IllegalArgumentException("pid " + pid + " is not a process id");
      }
      this.pid = pid;
      return this;
    }

    /**
     * Builds the instance.
     *
     * @return the instance
     * @throws IllegalStateException when the app id or the internal gRPC port is missing
     */
    public AppInstance build() {
      if (appId == null) {
        throw new IllegalStateException("an app instance needs an app id");
      }
      if (internalGrpcPort == 0) {
        throw new IllegalStateException(
            "app instance '" + appId + "' needs its internal gRPC port");
      }
      return new AppInstance(this);
    }

    private static int checkPort(int port, String what) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(what + " " + port + " is not 1 to 65535");
      }
      return port;
    }
  }
}
