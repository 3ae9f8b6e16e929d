package dev.pillion.pubsub;

import dev.pillion.AppHealth;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The subscriptions of a runtime that deliver to an app: the {@code kind: Subscription} resources
 * in scope and those an app declares ({@code /dapr/subscribe}), started over the runtime's pub/sub
 * components. Thread-safe.
 */
public final class DeclaredSubscriptions {
  private static final System.Logger LOG = System.getLogger(DeclaredSubscriptions.class.getName());

  private final Map<String, PubSub> pubsubs;
  private final List<SubscriptionDefinition> declared;
  private final List<SubscriptionDefinition> active = new CopyOnWriteArrayList<>();

  private DeclaredSubscriptions(
      Map<String, PubSub> pubsubs, List<SubscriptionDefinition> declared) {
    this.pubsubs = pubsubs;
    this.declared = List.copyOf(declared);
  }

  /**
   * Keeps the declared subscriptions whose pub/sub component is loaded. As daprd, a subscription to
   * a pub/sub component that is not loaded is ignored with a warning, not fatal: the resources
   * folder may hold subscriptions for components another app loads.
   *
   * @param pubsubs the loaded pub/sub components by name
   * @param declared the {@code kind: Subscription} resources in scope for the app
   * @return the runtime's subscriptions
   */
  public static DeclaredSubscriptions create(
      Map<String, PubSub> pubsubs, List<SubscriptionDefinition> declared) {
    Map<String, PubSub> loaded =
        java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pubsubs));
    List<SubscriptionDefinition> usable = new ArrayList<>();
    for (SubscriptionDefinition subscription : declared) {
      if (loaded.containsKey(subscription.pubsubName())) {
        usable.add(subscription);
      } else {
        LOG.log(
            System.Logger.Level.WARNING,
            describe(subscription)
                + ": "
                + notDefined(subscription, loaded.keySet())
                + "; this subscription is ignored");
      }
    }
    return new DeclaredSubscriptions(loaded, usable);
  }

  /**
   * The {@code kind: Subscription} resources in scope whose pub/sub component is loaded.
   *
   * @return the declared subscriptions
   */
  public List<SubscriptionDefinition> declared() {
    return declared;
  }

  /**
   * The subscriptions delivering to an app right now (declared and app-declared).
   *
   * @return a snapshot
   */
  public List<SubscriptionDefinition> active() {
    return List.copyOf(active);
  }

  /**
   * Starts delivering the declared subscriptions, and any others, to an app: each event goes to the
   * route its rules pick, and is dropped when none applies. A subscription that cannot start (it
   * names a pub/sub component that is not loaded, or its component refuses it) is skipped with one
   * ERROR line naming it and why; the others start, as in daprd.
   *
   * @param channel how to reach the app's routes
   * @param more subscriptions declared elsewhere than the resources folder
   * @return the running subscriptions; close them to stop
   */
  public List<Subscription> start(AppChannel channel, List<SubscriptionDefinition> more) {
    return start(channel, more, AppHealth.unchecked());
  }

  /**
   * Starts delivering the declared subscriptions, and any others, to an app whose health is
   * checked: as {@link #start(AppChannel, List)}, and every subscription pauses while the app is
   * unhealthy ({@link SubscriptionOptions.Builder#pauseWhileUnhealthy}).
   *
   * @param channel how to reach the app's routes
   * @param more subscriptions declared elsewhere than the resources folder
   * @param health the app's health
   * @return the running subscriptions; close them to stop
   */
  public List<Subscription> start(
      AppChannel channel, List<SubscriptionDefinition> more, AppHealth health) {
    Objects.requireNonNull(health, "health");
    List<SubscriptionDefinition> all = new ArrayList<>(declared);
    all.addAll(more);
    List<Subscription> started = new ArrayList<>();
    for (SubscriptionDefinition definition : all) {
      String problem;
      if (!pubsubs.containsKey(definition.pubsubName())) {
        problem = notDefined(definition, pubsubs.keySet());
      } else {
        try {
          started.add(start(definition, channel, health));
          continue;
        } catch (RuntimeException e) {
          problem =
              "cannot subscribe: "
                  + (e.getMessage() == null
                      ? e.getClass().getName()
                      : e.getMessage().replaceAll("\\s*\\R\\s*", " "));
        }
      }
      LOG.log(
          System.Logger.Level.ERROR,
          describe(definition) + ": " + problem + "; this subscription is skipped");
    }
    return started;
  }

  /** Names a subscription for the log: where it was declared, its pubsub and topic. */
  private static String describe(SubscriptionDefinition definition) {
    return definition.origin()
        + " (subscription '"
        + definition.name()
        + "', pubsub '"
        + definition.pubsubName()
        + "', topic '"
        + definition.topic()
        + "')";
  }

  private static String notDefined(SubscriptionDefinition definition, Set<String> loaded) {
    return "pubsub '"
        + definition.pubsubName()
        + "' is not defined ("
        + (loaded.isEmpty()
            ? "no pub/sub components are loaded"
            : "pub/sub components: " + String.join(", ", loaded))
        + ")";
  }

  private Subscription start(
      SubscriptionDefinition definition, AppChannel channel, AppHealth health) {
    SubscriptionOptions.Builder options =
        SubscriptionOptions.builder(definition.topic())
            .rawPayload(definition.rawPayload())
            .pauseWhileUnhealthy(health);
    // An empty dead-letter topic (an app's /dapr/subscribe may send one) means none, as in Dapr.
    definition.deadLetterTopic().filter(t -> !t.isEmpty()).ifPresent(options::deadLetterTopic);
    PubSub pubsub = pubsubs.get(definition.pubsubName());
    Subscription subscription;
    if (definition.bulkSubscribe().enabled()) {
      options.bulk(
          definition.bulkSubscribe().maxMessagesCount(),
          definition.bulkSubscribe().maxAwaitDuration());
      subscription =
          pubsub.subscribeBulk(
              options.build(), entries -> deliverBulk(definition, channel, entries));
    } else {
      subscription =
          pubsub.subscribe(
              options.build(),
              event -> {
                Optional<String> route = definition.routes().select(event);
                if (route.isEmpty()) {
                  LOG.log(
                      System.Logger.Level.DEBUG,
                      () ->
                          "subscription '"
                              + definition.name()
                              + "': no route matches event "
                              + event.id());
                  return DeliveryResult.DROP;
                }
                return channel.deliver(route.get(), event);
              });
    }
    active.add(definition);
    return new Subscription() {
      @Override
      public SubscriptionOptions options() {
        return subscription.options();
      }

      @Override
      public String subscriptionName() {
        return subscription.subscriptionName();
      }

      @Override
      public int stuckMessages() {
        return subscription.stuckMessages();
      }

      @Override
      public void close() {
        active.remove(definition);
        subscription.close();
      }
    };
  }

  /**
   * Delivers a batch of a bulk subscription as daprd does: one request per route its rules pick,
   * entries no route matches dropped. A route whose delivery fails leaves its entries unanswered,
   * so they are retried; the other routes' answers stand.
   */
  private static Map<String, DeliveryResult> deliverBulk(
      SubscriptionDefinition definition, AppChannel channel, List<BulkEntry> entries)
      throws InterruptedException {
    Map<String, List<BulkEntry>> byRoute = new LinkedHashMap<>();
    Map<String, DeliveryResult> results = new HashMap<>();
    for (BulkEntry entry : entries) {
      Optional<String> route = definition.routes().select(entry.event());
      if (route.isPresent()) {
        byRoute.computeIfAbsent(route.get(), path -> new ArrayList<>()).add(entry);
      } else {
        LOG.log(
            System.Logger.Level.DEBUG,
            () ->
                "subscription '"
                    + definition.name()
                    + "': no route matches event "
                    + entry.event().id());
        results.put(entry.entryId(), DeliveryResult.DROP);
      }
    }
    for (Map.Entry<String, List<BulkEntry>> route : byRoute.entrySet()) {
      Map<String, DeliveryResult> answers;
      try {
        answers = channel.deliverBulk(route.getKey(), route.getValue());
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        LOG.log(
            System.Logger.Level.INFO,
            "subscription '"
                + definition.name()
                + "': bulk delivery of "
                + route.getValue().size()
                + " events to "
                + route.getKey()
                + " failed: "
                + e
                + "; retrying them");
        continue;
      }
      // Only this route's entries: an app answering for another route's entry does not settle it.
      for (BulkEntry entry : route.getValue()) {
        DeliveryResult answer = answers.get(entry.entryId());
        if (answer != null) {
          results.put(entry.entryId(), answer);
        }
      }
    }
    return results;
  }
}
