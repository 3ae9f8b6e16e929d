package dev.pillion.invoke.resolution;

/**
 * Where to reach the runtime in front of an app: the host and the port of its internal gRPC
 * endpoint ({@code dapr.proto.internals.v1.ServiceInvocation}).
 *
 * @param host a host name or IP address literal
 * @param port the runtime's internal gRPC port
 */
public record AppAddress(String host, int port) {
  /** Checks the fields. */
  public AppAddress {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("an app address needs a host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " of " + host + " is not 1 to 65535");
    }
  }

  /**
   * The address as gRPC's target and HTTP's authority write it.
   *
   * @return {@code host:port}, an IPv6 literal in brackets
   */
  public String authority() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
