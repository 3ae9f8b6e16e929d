package dev.pillion.invoke.resolution;

import dev.pillion.invoke.resolution.spi.NameResolver;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kubernetes-style name resolution, as daprd's: an app id is the DNS name {@code
 * <appId>-dapr.<namespace>.svc.<clusterDomain>}, the headless Service the Dapr operator creates for
 * each app, whose records are the addresses of the app's pods; every pod's runtime listens on the
 * same internal gRPC port (daprd's {@code dapr-internal}, 50002 by default). Each resolve looks the
 * name up (the JDK caches answers, 30 s by default) and answers the next of its addresses
 * round-robin. Registration does nothing: the cluster's Service is the registry.
 */
public final class KubernetesDnsResolver implements NameResolver {
  private static final System.Logger LOG = System.getLogger(KubernetesDnsResolver.class.getName());

  private final String clusterDomain;
  private final int port;
  private final HostLookup lookup;
  private final Map<String, AtomicInteger> turns = new ConcurrentHashMap<>();

  private KubernetesDnsResolver(Builder builder) {
    this.clusterDomain = builder.clusterDomain;
    this.port = builder.port;
    this.lookup = builder.lookup;
  }

  /**
   * A builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "kubernetes";
  }

  /**
   * The DNS name an app id resolves through.
   *
   * @param appId the app id
   * @param namespace its namespace
   * @return {@code <appId>-dapr.<namespace>.svc.<clusterDomain>}
   */
  public String hostName(String appId, String namespace) {
    return appId + "-dapr." + namespace + ".svc." + clusterDomain;
  }

  @Override
  public Registration register(AppInstance instance) {
    Objects.requireNonNull(instance, "instance");
    LOG.log(
        System.Logger.Level.DEBUG,
        () ->
            instance
                + " is found through its Kubernetes Service "
                + hostName(instance.appId(), instance.namespace())
                + "; nothing to register");
    return new Registration() {
      @Override
      public AppInstance instance() {
        return instance;
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public AppAddress resolve(String appId, String namespace) {
    AppInstance.checkAppId(appId, "target app id");
    AppInstance.checkAppId(namespace, "target namespace");
    String host = hostName(appId, namespace);
    List<InetAddress> addresses;
    try {
      addresses = lookup.lookup(host);
    } catch (UnknownHostException e) {
      throw new AppNotFoundException(
          appId,
          namespace,
          "name resolution 'kubernetes' found no address for " + host + " (" + e.getMessage() + ")",
          e);
    }
    if (addresses.isEmpty()) {
      throw new AppNotFoundException(
          appId, namespace, "name resolution 'kubernetes' found no address for " + host);
    }
    int turn = turns.computeIfAbsent(host, h -> new AtomicInteger()).getAndIncrement();
    InetAddress chosen = addresses.get(Math.floorMod(turn, addresses.size()));
    return new AppAddress(chosen.getHostAddress(), port);
  }

  @Override
  public void close() {
    turns.clear();
  }

  /** Builds a {@link KubernetesDnsResolver}. */
  public static final class Builder {
    private String clusterDomain = "cluster.local";
    private int port =
        dev.pillion.invoke.resolution.spi.ResolverConfiguration.DAPR_INTERNAL_GRPC_PORT;
    private HostLookup lookup = HostLookup.jdk();

    private Builder() {}

    /**
     * The cluster's DNS domain ({@code clusterDomain} in daprd's configuration).
     *
     * @param clusterDomain default {@code cluster.local}
     * @return this builder
     */
    public Builder clusterDomain(String clusterDomain) {
      if (clusterDomain == null
          || clusterDomain.isBlank()
          || clusterDomain.startsWith(".")
          || clusterDomain.endsWith(".")) {
        throw new IllegalArgumentException(
            "cluster domain '" + clusterDomain + "' is not a DNS domain");
      }
      this.clusterDomain = clusterDomain;
      return this;
    }

    /**
     * The internal gRPC port of every runtime in the cluster.
     *
     * @param port default 50002
     * @return this builder
     */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is not 1 to 65535");
      }
      this.port = port;
      return this;
    }

    /**
     * The DNS lookup.
     *
     * @param lookup default the JDK's resolver
     * @return this builder
     */
    public Builder lookup(HostLookup lookup) {
      this.lookup = Objects.requireNonNull(lookup, "lookup");
      return this;
    }

    /**
     * Builds the resolver.
     *
     * @return the resolver
     */
    public KubernetesDnsResolver build() {
      return new KubernetesDnsResolver(this);
    }
  }
}
