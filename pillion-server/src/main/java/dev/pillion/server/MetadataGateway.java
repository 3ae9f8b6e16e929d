package dev.pillion.server;

import dev.pillion.AppHealth;
import dev.pillion.Pillion;
import dev.pillion.pubsub.Routes;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.pubsub.SubscriptionSource;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the HTTP and gRPC metadata APIs share: the runtime as daprd describes it (components with
 * their capabilities, active subscriptions with their type) and the extended metadata that apps and
 * tools set ({@code PUT /v1.0/metadata/{key}}, gRPC {@code SetMetadata}), shared by both protocols.
 */
public final class MetadataGateway {
  /**
   * The extended metadata key daprd always fills with its version (deprecated in Dapr, still read
   * by tools).
   */
  public static final String RUNTIME_VERSION_KEY = "daprRuntimeVersion";

  /**
   * How many characters of keys and values the extended metadata may hold: daprd has no limit, but
   * every metadata call returns all of it, so an app storing megabytes would slow every {@code GET
   * /v1.0/metadata} and grow the heap without bound.
   */
  public static final int MAX_EXTENDED_CHARS = 1 << 20;

  /**
   * A subscription as the metadata API lists it.
   *
   * @param definition its pub/sub, topic, routes, dead-letter topic, metadata and source
   */
  public record ActiveSubscription(SubscriptionDefinition definition) {
    /**
     * How it was declared, as daprd's {@code PubsubSubscriptionType} names it.
     *
     * @return the definition's source
     */
    public SubscriptionSource type() {
      return definition.source();
    }
  }

  /**
   * The extended metadata key Pillion fills with the app's health when it is checked: {@code
   * healthy} or {@code unhealthy}. daprd's metadata carries the health check's settings but not its
   * result, which is what a tool wants to see.
   */
  public static final String APP_HEALTH_KEY = "appHealth";

  /**
   * How the runtime reaches its app, as daprd's {@code appConnectionProperties} reports it.
   *
   * @param port the app's port
   * @param protocol the app protocol, e.g. {@code http}
   * @param channelAddress the host the runtime calls the app on
   * @param maxConcurrency the most concurrent calls into the app, 0 for unlimited
   */
  public record AppConnection(
      int port, String protocol, String channelAddress, int maxConcurrency) {
    /**
     * Checks the fields.
     *
     * @throws NullPointerException when a text field is null
     */
    public AppConnection {
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(channelAddress, "channelAddress");
    }
  }

  /**
   * The app health check, as daprd's {@code appConnectionProperties.health} reports its settings,
   * and the health it finds now.
   *
   * @param path the health check path (HTTP apps)
   * @param interval the time between probes
   * @param timeout how long a probe may take
   * @param threshold the consecutive failed probes that make the app unhealthy
   * @param health the app's health now
   */
  public record AppHealthCheck(
      String path, Duration interval, Duration timeout, int threshold, AppHealth health) {
    /**
     * Checks the fields.
     *
     * @throws NullPointerException when a field is null
     */
    public AppHealthCheck {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(health, "health");
    }
  }

  private final Pillion runtime;
  private final String runtimeVersion;
  private volatile AppConnection appConnection;
  private volatile AppHealthCheck appHealthCheck;
  private final SortedMap<String, String> extended = new TreeMap<>();
  private final List<SubscriptionDefinition> streaming = new CopyOnWriteArrayList<>();

  /**
   * Creates the gateway.
   *
   * @param runtime the runtime described
   * @param runtimeVersion the version the metadata API reports
   */
  public MetadataGateway(Pillion runtime, String runtimeVersion) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    this.runtimeVersion = Objects.requireNonNull(runtimeVersion, "runtimeVersion");
  }

  /**
   * Reports how the runtime reaches its app; the server sets it once it has an app port.
   *
   * @param connection the app connection
   */
  public void appConnection(AppConnection connection) {
    this.appConnection = Objects.requireNonNull(connection, "connection");
  }

  /**
   * Reports the app's health check; the server sets it when the check is enabled.
   *
   * @param check the health check
   */
  public void appHealthCheck(AppHealthCheck check) {
    this.appHealthCheck = Objects.requireNonNull(check, "check");
  }

  /**
   * How the runtime reaches its app.
   *
   * @return the app connection, empty when the runtime has no app port
   */
  public Optional<AppConnection> appConnection() {
    return Optional.ofNullable(appConnection);
  }

  /**
   * The app's health check.
   *
   * @return the health check, empty when it is not enabled
   */
  public Optional<AppHealthCheck> appHealthCheck() {
    return Optional.ofNullable(appHealthCheck);
  }

  /**
   * The app id.
   *
   * @return the runtime's app id
   */
  public String appId() {
    return runtime.appId();
  }

  /**
   * The runtime version reported.
   *
   * @return e.g. {@code pillion-0.1.0}
   */
  public String runtimeVersion() {
    return runtimeVersion;
  }

  /**
   * Sets an extended metadata attribute, as daprd's {@code SetMetadata}: an empty key is ignored, a
   * key set again is replaced.
   *
   * @param key the attribute
   * @param value its value
   * @throws DaprApiException 413 / RESOURCE_EXHAUSTED when the extended metadata would pass {@link
   *     #MAX_EXTENDED_CHARS}
   */
  public void put(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    if (key.isEmpty()) {
      return;
    }
    synchronized (extended) {
      long size = (long) key.length() + value.length();
      for (Map.Entry<String, String> entry : extended.entrySet()) {
        if (!entry.getKey().equals(key)) {
          size += entry.getKey().length() + entry.getValue().length();
        }
      }
      if (size > MAX_EXTENDED_CHARS) {
        throw new DaprApiException(
            new DaprApiError(
                413,
                "ERR_MALFORMED_REQUEST",
                Status.Code.RESOURCE_EXHAUSTED,
                "ERR_MALFORMED_REQUEST",
                "extended metadata '"
                    + key
                    + "' not set: the extended metadata would hold "
                    + size
                    + " characters of keys and values, over Pillion's limit of "
                    + MAX_EXTENDED_CHARS));
      }
      extended.put(key, value);
    }
  }

  /**
   * The extended metadata, sorted by key, with {@value #RUNTIME_VERSION_KEY} set to the runtime
   * version as daprd sets it on every read.
   *
   * @return a copy
   */
  public SortedMap<String, String> extended() {
    SortedMap<String, String> copy;
    synchronized (extended) {
      copy = new TreeMap<>(extended);
    }
    copy.put(RUNTIME_VERSION_KEY, runtimeVersion);
    AppHealthCheck check = appHealthCheck;
    if (check != null) {
      copy.put(APP_HEALTH_KEY, check.health().healthy() ? "healthy" : "unhealthy");
    }
    return copy;
  }

  /**
   * The loaded components with daprd's capabilities: their features, and {@code ACTOR} for a state
   * store with {@code ETAG} and {@code TRANSACTIONAL} (what Dapr's actor runtime needs of a store).
   *
   * @return the components, in load order
   */
  public List<Pillion.LoadedComponent> components() {
    List<Pillion.LoadedComponent> components = new ArrayList<>();
    // A state store is one the state block loaded, whatever its type is called.
    Set<String> stateStores = runtime.stateStoreNames();
    for (Pillion.LoadedComponent component : runtime.components()) {
      List<String> capabilities = component.capabilities();
      if (stateStores.contains(component.name())
          && capabilities.contains("ETAG")
          && capabilities.contains("TRANSACTIONAL")
          && !capabilities.contains("ACTOR")) {
        capabilities = new ArrayList<>(capabilities);
        capabilities.add("ACTOR");
        component =
            new Pillion.LoadedComponent(
                component.name(),
                component.type(),
                component.version(),
                capabilities,
                component.blocking());
      }
      components.add(component);
    }
    return components;
  }

  /**
   * The active subscriptions: declared and app subscriptions being delivered, then open streams.
   *
   * @return the subscriptions
   */
  public List<ActiveSubscription> subscriptions() {
    List<ActiveSubscription> subscriptions = new ArrayList<>();
    for (SubscriptionDefinition definition : runtime.activeSubscriptions()) {
      subscriptions.add(new ActiveSubscription(definition));
    }
    for (SubscriptionDefinition definition : streaming) {
      subscriptions.add(new ActiveSubscription(definition));
    }
    return subscriptions;
  }

  /**
   * Lists a streaming subscription until the returned action runs (when its stream ends).
   *
   * @param pubsub the pub/sub component
   * @param topic the topic
   * @param deadLetterTopic its dead-letter topic, or empty for none
   * @return what to run when the stream ends
   */
  public Runnable streamingSubscription(String pubsub, String topic, String deadLetterTopic) {
    SubscriptionDefinition.Builder builder =
        SubscriptionDefinition.builder(
                SubscriptionSource.STREAMING, "stream:" + pubsub + "/" + topic, pubsub, topic)
            .routes(Routes.of(List.of(), "a streaming subscription"))
            .origin("a gRPC stream");
    if (!deadLetterTopic.isEmpty()) {
      builder.deadLetterTopic(deadLetterTopic);
    }
    SubscriptionDefinition definition = builder.build();
    streaming.add(definition);
    return () -> streaming.remove(definition);
  }
}
