package dev.pillion.pubsub;

import static dev.pillion.config.YamlFields.describe;
import static dev.pillion.config.YamlFields.integer;
import static dev.pillion.config.YamlFields.map;
import static dev.pillion.config.YamlFields.scalar;
import static dev.pillion.config.YamlFields.string;
import static dev.pillion.config.YamlFields.unknownFields;

import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentYaml;
import dev.pillion.config.ResourceDocument;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code kind: Subscription} resource documents into {@link SubscriptionDefinition}s,
 * compiling their routing rules. Kept out of the resource reader so that reading components loads
 * neither CEL nor its dependencies.
 */
public final class SubscriptionYaml {
  private static final Set<String> TOP_LEVEL =
      Set.of("apiVersion", "kind", "metadata", "spec", "scopes", "auth");
  private static final Set<String> METADATA_FIELDS =
      Set.of("name", "namespace", "labels", "annotations");
  private static final Set<String> SUBSCRIPTION_SPEC =
      Set.of(
          "topic", "pubsubname", "route", "routes", "deadLetterTopic", "metadata", "bulkSubscribe");

  private SubscriptionYaml() {}

  /**
   * Reads the subscriptions among resource documents.
   *
   * @param documents resource documents of any kind; only {@code Subscription}s are read
   * @return the subscriptions, in document order
   * @throws ComponentConfigException naming the file, the subscription and the field when one is
   *     invalid
   */
  public static List<SubscriptionDefinition> read(List<ResourceDocument> documents) {
    List<SubscriptionDefinition> subscriptions = new ArrayList<>();
    for (ResourceDocument document : documents) {
      if (ComponentYaml.SUBSCRIPTION.equals(document.kind())) {
        subscriptions.add(parse(document.root(), document.where()));
      }
    }
    return subscriptions;
  }

  /**
   * A {@code kind: Subscription} of {@code dapr.io/v2alpha1} (routes) or {@code dapr.io/v1alpha1}
   * (route).
   */
  private static SubscriptionDefinition parse(Map<?, ?> root, String where) {
    unknownFields(root, TOP_LEVEL, where, "");
    String apiVersion = string(root.get("apiVersion"), where, "apiVersion");
    if (!apiVersion.equals("dapr.io/v2alpha1") && !apiVersion.equals("dapr.io/v1alpha1")) {
      throw new ComponentConfigException(
          where
              + ": apiVersion '"
              + apiVersion
              + "' is not supported for kind Subscription (use dapr.io/v2alpha1)");
    }
    Map<?, ?> metadata = map(root.get("metadata"), where, "metadata");
    unknownFields(metadata, METADATA_FIELDS, where, "metadata.");
    String name = string(metadata.get("name"), where, "metadata.name");
    String at = where + ", subscription '" + name + "'";
    Map<?, ?> spec = map(root.get("spec"), at, "spec");
    unknownFields(spec, SUBSCRIPTION_SPEC, at, "spec.");
    String topic = string(spec.get("topic"), at, "spec.topic");
    String pubsub = string(spec.get("pubsubname"), at, "spec.pubsubname");
    BulkSubscribe bulkSubscribe =
        spec.get("bulkSubscribe") == null
            ? BulkSubscribe.disabled()
            : bulkSubscribe(map(spec.get("bulkSubscribe"), at, "spec.bulkSubscribe"), at);
    Routes routes;
    try {
      if (spec.get("routes") != null) {
        routes = routes(map(spec.get("routes"), at, "spec.routes"), at);
      } else {
        routes = Routes.single(string(spec.get("route"), at, "spec.route (or spec.routes)"));
      }
    } catch (IllegalArgumentException e) {
      throw new ComponentConfigException(e.getMessage(), e);
    }
    Map<String, String> subscriptionMetadata = new LinkedHashMap<>();
    if (spec.get("metadata") != null) {
      map(spec.get("metadata"), at, "spec.metadata")
          .forEach(
              (k, v) ->
                  subscriptionMetadata.put(String.valueOf(k), scalar(v, at, "spec.metadata." + k)));
    }
    List<String> scopes = new ArrayList<>();
    if (root.get("scopes") instanceof List<?> list) {
      for (Object scope : list) {
        scopes.add(scalar(scope, at, "scopes"));
      }
    }
    SubscriptionDefinition.Builder builder =
        SubscriptionDefinition.builder(SubscriptionSource.DECLARATIVE, name, pubsub, topic)
            .routes(routes)
            .scopes(scopes)
            .metadata(subscriptionMetadata)
            .origin(where)
            .bulkSubscribe(bulkSubscribe);
    if (spec.get("deadLetterTopic") != null) {
      builder.deadLetterTopic(string(spec.get("deadLetterTopic"), at, "spec.deadLetterTopic"));
    }
    SubscriptionDefinition definition = builder.build();
    try {
      definition.rawPayload();
    } catch (IllegalArgumentException e) {
      throw new ComponentConfigException(
          at
              + ": spec.metadata.rawPayload must be true or false, got '"
              + subscriptionMetadata.get("rawPayload")
              + "'",
          e);
    }
    return definition;
  }

  /**
   * {@code spec.bulkSubscribe}: {@code enabled}, {@code maxMessagesCount}, {@code
   * maxAwaitDurationMs}.
   */
  private static BulkSubscribe bulkSubscribe(Map<?, ?> bulk, String at) {
    unknownFields(
        bulk,
        Set.of("enabled", "maxMessagesCount", "maxAwaitDurationMs"),
        at,
        "spec.bulkSubscribe.");
    Object enabled = bulk.get("enabled");
    if (enabled != null
        && !(enabled instanceof Boolean)
        && !"true".equals(enabled)
        && !"false".equals(enabled)) {
      throw new ComponentConfigException(
          at + ": spec.bulkSubscribe.enabled must be true or false, got " + describe(enabled));
    }
    try {
      return BulkSubscribe.of(
          enabled != null && Boolean.parseBoolean(enabled.toString()),
          integer(bulk.get("maxMessagesCount"), at, "spec.bulkSubscribe.maxMessagesCount"),
          integer(bulk.get("maxAwaitDurationMs"), at, "spec.bulkSubscribe.maxAwaitDurationMs"));
    } catch (IllegalArgumentException e) {
      throw new ComponentConfigException(
          at + ": " + e.getMessage().replace("bulkSubscribe.", "spec.bulkSubscribe."), e);
    }
  }

  private static Routes routes(Map<?, ?> spec, String at) {
    unknownFields(spec, Set.of("rules", "default"), at, "spec.routes.");
    List<Map.Entry<String, String>> rules = new ArrayList<>();
    if (spec.get("rules") != null) {
      if (!(spec.get("rules") instanceof List<?> list)) {
        throw new ComponentConfigException(
            at + ": spec.routes.rules must be a list of {match, path}");
      }
      int i = 0;
      for (Object item : list) {
        String field = "spec.routes.rules[" + i++ + "]";
        Map<?, ?> rule = map(item, at, field);
        unknownFields(rule, Set.of("match", "path"), at, field + ".");
        rules.add(
            Map.entry(
                string(rule.get("match"), at, field + ".match"),
                string(rule.get("path"), at, field + ".path")));
      }
    }
    Optional<String> defaultRoute =
        spec.get("default") == null
            ? Optional.empty()
            : Optional.of(string(spec.get("default"), at, "spec.routes.default"));
    if (rules.isEmpty() && defaultRoute.isEmpty()) {
      throw new ComponentConfigException(at + ": spec.routes needs rules or a default");
    }
    return defaultRoute
        .map(route -> Routes.of(rules, route, at))
        .orElseGet(() -> Routes.of(rules, at));
  }
}
