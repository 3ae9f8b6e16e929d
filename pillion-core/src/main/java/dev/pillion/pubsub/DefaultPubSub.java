package dev.pillion.pubsub;

import com.google.protobuf.ByteString;
import dev.pillion.abi.pubsub.BulkPublishFailedEntry;
import dev.pillion.abi.pubsub.BulkPublishRequest;
import dev.pillion.abi.pubsub.BulkPublishResponse;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.pubsub.spi.PubSubComponent;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/**
 * The pub/sub building block over one component: wraps data in CloudEvents, publishes, and runs
 * subscriptions (see {@link SubscriptionRunner}).
 */
public final class DefaultPubSub implements PubSub, AutoCloseable {
  private final String name;
  private final PubSubComponent component;
  private final String appId;
  private final Clock clock;
  private final Set<String> features;
  private final List<SubscriptionRunner> subscriptions = new CopyOnWriteArrayList<>();

  private DefaultPubSub(String name, PubSubComponent component, String appId, Clock clock) {
    this.name = name;
    this.component = component;
    this.appId = appId;
    this.clock = clock;
    this.features = Set.copyOf(component.features());
  }

  /**
   * Wraps a component.
   *
   * @param name the component's name
   * @param component the component
   * @param appId the publishing app's id (the events' source, and the default subscription name)
   * @return the building block
   */
  public static DefaultPubSub create(String name, PubSubComponent component, String appId) {
    return new DefaultPubSub(name, component, appId, Clock.systemUTC());
  }

  /**
   * The component behind it.
   *
   * @return the component
   */
  public PubSubComponent component() {
    return component;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<String> features() {
    return features;
  }

  private void requireTopic(String topic) {
    if (topic.isEmpty()) {
      throw new InvalidPublishException(name, "topic is empty");
    }
  }

  private dev.pillion.abi.pubsub.PublishRequest toMessage(
      String topic,
      byte[] data,
      String contentType,
      Map<String, String> metadata,
      java.util.Optional<String> trace) {
    boolean raw = CloudEvents.raw(metadata);
    Instant now = clock.instant();
    byte[] payload =
        raw
            ? data
            : trace
                .map(t -> CloudEvents.envelope(name, topic, appId, data, contentType, t, now))
                .orElseGet(() -> CloudEvents.envelope(name, topic, appId, data, contentType, now));
    return dev.pillion.abi.pubsub.PublishRequest.newBuilder()
        .setTopic(topic)
        .setData(ByteString.copyFrom(payload))
        .setContentType(raw ? contentType : CloudEvents.CONTENT_TYPE)
        .putAllMetadata(metadata)
        .build();
  }

  @Override
  public void publish(PublishRequest request) {
    requireTopic(request.topic());
    component.publish(
        toMessage(
            request.topic(),
            request.dataUnsafe(),
            request.contentType(),
            request.metadata(),
            request.traceparent()));
    wake(request.topic());
  }

  @Override
  public List<BulkPublishFailure> bulkPublish(
      String topic, List<BulkPublishEntry> entries, Map<String, String> metadata) {
    requireTopic(topic);
    requireDistinctEntryIds(topic, entries);
    BulkPublishRequest.Builder bulk =
        BulkPublishRequest.newBuilder().setTopic(topic).putAllMetadata(metadata);
    List<BulkPublishFailure> failures = new ArrayList<>();
    for (BulkPublishEntry entry : entries) {
      try {
        Map<String, String> merged = new java.util.HashMap<>(metadata);
        merged.putAll(entry.metadata());
        dev.pillion.abi.pubsub.PublishRequest message =
            toMessage(topic, entry.data(), entry.contentType(), merged, java.util.Optional.empty());
        bulk.addEntriesBuilder()
            .setEntryId(entry.entryId())
            .setData(message.getData())
            .setContentType(message.getContentType())
            .putAllMetadata(merged);
      } catch (InvalidPublishException e) {
        failures.add(new BulkPublishFailure(entry.entryId(), e.getMessage()));
      }
    }
    if (bulk.getEntriesCount() > 0) {
      BulkPublishResponse response = component.bulkPublish(bulk.build());
      for (BulkPublishFailedEntry failed : response.getFailedEntriesList()) {
        failures.add(new BulkPublishFailure(failed.getEntryId(), failed.getError()));
      }
      wake(topic);
    }
    return failures;
  }

  /**
   * Every entry needs an id of its own: failures are reported by entry id, so a missing or repeated
   * one would make a failure impossible to attribute.
   */
  private void requireDistinctEntryIds(String topic, List<BulkPublishEntry> entries) {
    Map<String, Integer> seen = new java.util.HashMap<>();
    for (int index = 0; index < entries.size(); index++) {
      String entryId = entries.get(index).entryId();
      if (entryId.isEmpty()) {
        throw new BulkEntryIdException(
            name,
            "topic '"
                + topic
                + "': entries["
                + index
                + "] has no entryId; each entry needs an entryId of its own (nothing was"
                + " published)");
      }
      Integer first = seen.putIfAbsent(entryId, index);
      if (first != null) {
        throw new BulkEntryIdException(
            name,
            "topic '"
                + topic
                + "': entries["
                + index
                + "] has the entryId '"
                + entryId
                + "' of entries["
                + first
                + "]; each entry needs an entryId of its own (nothing was published)");
      }
    }
  }

  /** Publishes a delivered message as it is to another topic (dead-lettering). */
  void forward(Message message, String topic) {
    component.publish(
        dev.pillion.abi.pubsub.PublishRequest.newBuilder()
            .setTopic(topic)
            .setData(message.getData())
            .setContentType(message.getContentType())
            .putAllMetadata(message.getMetadataMap())
            .build());
    wake(topic);
  }

  private void wake(String topic) {
    for (SubscriptionRunner runner : subscriptions) {
      if (runner.topic().equals(topic)) {
        runner.wake();
      }
    }
  }

  @Override
  public Subscription subscribe(SubscriptionOptions options, EventHandler handler) {
    java.util.Objects.requireNonNull(handler, "handler");
    return start(
        options,
        (name, stuck) -> new SubscriptionRunner(this, component, options, handler, name, stuck));
  }

  @Override
  public Subscription subscribeBulk(SubscriptionOptions options, BulkEventHandler handler) {
    java.util.Objects.requireNonNull(handler, "handler");
    return start(
        options,
        (name, stuck) -> new SubscriptionRunner(this, component, options, handler, name, stuck));
  }

  private Subscription start(
      SubscriptionOptions options, BiFunction<String, StuckMessages, SubscriptionRunner> create) {
    String subscriptionName =
        options.subscriptionName().orElse(appId.isEmpty() ? "default" : appId);
    SubscriptionRunner runner;
    synchronized (subscriptions) {
      // Competing consumers of one group share its stuck-message count.
      StuckMessages stuck =
          subscriptions.stream()
              .filter(
                  r ->
                      r.topic().equals(options.topic())
                          && r.subscriptionName().equals(subscriptionName))
              .map(SubscriptionRunner::stuck)
              .findFirst()
              .orElseGet(StuckMessages::new);
      runner = create.apply(subscriptionName, stuck);
      subscriptions.add(runner);
    }
    try {
      return runner.start();
    } catch (RuntimeException e) {
      subscriptions.remove(runner);
      throw e;
    }
  }

  void unregister(SubscriptionRunner runner) {
    subscriptions.remove(runner);
  }

  /**
   * The running subscriptions.
   *
   * @return a snapshot
   */
  public List<Subscription> subscriptions() {
    return List.copyOf(subscriptions);
  }

  /** Stops every subscription, then closes the component. */
  @Override
  public void close() {
    stopSubscriptions();
    component.close();
  }

  /**
   * Stops every subscription this API runs and leaves the component open: what a hosted app's view
   * does when the app stops, while other apps keep using the component.
   */
  public void stopSubscriptions() {
    for (SubscriptionRunner runner : subscriptions) {
      runner.close();
    }
  }
}
