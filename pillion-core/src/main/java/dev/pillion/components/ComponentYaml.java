package dev.pillion.components;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.constructor.StandardConstructor;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads Dapr resource files: every {@code .yaml}/{@code .yml} file of a folder, each with one or
 * more documents. {@code kind: Component} documents become {@link ComponentDefinition}s; other Dapr
 * kinds (Subscription, Configuration, Resiliency, ...) are skipped with a log line until their
 * building blocks exist. Anything Pillion cannot honour is an error naming the file, the component
 * and the field.
 */
public final class ComponentYaml {
  private static final System.Logger LOG = System.getLogger(ComponentYaml.class.getName());
  private static final String API_VERSION = "dapr.io/v1alpha1";
  private static final Set<String> OTHER_DAPR_KINDS =
      Set.of("Configuration", "Resiliency", "HTTPEndpoint");
  private static final Set<String> SUBSCRIPTION_SPEC =
      Set.of(
          "topic", "pubsubname", "route", "routes", "deadLetterTopic", "metadata", "bulkSubscribe");
  private static final Set<String> TOP_LEVEL =
      Set.of("apiVersion", "kind", "metadata", "spec", "scopes", "auth");
  private static final Set<String> METADATA_FIELDS =
      Set.of("name", "namespace", "labels", "annotations");

  /** Deeper than any Dapr resource; SnakeYAML recurses per level. */
  private static final int MAX_DEPTH = 64;

  private static final Set<String> SPEC_FIELDS =
      Set.of("type", "version", "metadata", "initTimeout", "ignoreErrors");

  private final Function<String, String> environment;

  private ComponentYaml(Function<String, String> environment) {
    this.environment = environment;
  }

  /**
   * A reader that resolves {@code envRef} from the process environment.
   *
   * @return the reader
   */
  public static ComponentYaml create() {
    return new ComponentYaml(System::getenv);
  }

  /**
   * A reader with a given environment, for tests.
   *
   * @param environment looks up an environment variable; returns null when unset
   * @return the reader
   */
  public static ComponentYaml withEnvironment(Function<String, String> environment) {
    return new ComponentYaml(environment);
  }

  /**
   * What a resources folder declares.
   *
   * @param components the {@code kind: Component} documents
   * @param subscriptions the {@code kind: Subscription} documents
   */
  public record Resources(
      List<ComponentDefinition> components,
      List<dev.pillion.pubsub.SubscriptionDefinition> subscriptions) {}

  /**
   * Reads every resource file of a folder: components and subscriptions.
   *
   * @param folder the resources folder
   * @return what it declares
   */
  public Resources loadResources(Path folder) {
    List<ComponentDefinition> components = new ArrayList<>();
    List<dev.pillion.pubsub.SubscriptionDefinition> subscriptions = new ArrayList<>();
    for (Path file : files(folder)) {
      read(file, components, subscriptions);
    }
    return new Resources(List.copyOf(components), List.copyOf(subscriptions));
  }

  /**
   * Reads every resource file of a folder, in file-name order.
   *
   * @param folder the resources folder
   * @return the component definitions
   * @throws ComponentConfigException when the folder cannot be read or a document is invalid
   */
  public List<ComponentDefinition> loadFolder(Path folder) {
    return loadResources(folder).components();
  }

  private static List<Path> files(Path folder) {
    if (!Files.isDirectory(folder)) {
      throw new ComponentConfigException("resources path " + folder + " is not a directory");
    }
    List<Path> files;
    try (Stream<Path> entries = Files.list(folder)) {
      files =
          entries
              .filter(Files::isRegularFile)
              .filter(p -> p.getFileName().toString().matches("(?i).*\\.ya?ml"))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new ComponentConfigException(
          "cannot list resources path " + folder + ": " + e.getMessage(), e);
    }
    return files;
  }

  /**
   * Reads one resource file.
   *
   * @param file the YAML file
   * @return the component definitions it holds
   */
  public List<ComponentDefinition> loadFile(Path file) {
    List<ComponentDefinition> definitions = new ArrayList<>();
    read(file, definitions, new ArrayList<>());
    return definitions;
  }

  private void read(
      Path file,
      List<ComponentDefinition> definitions,
      List<dev.pillion.pubsub.SubscriptionDefinition> subscriptions) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ComponentConfigException("cannot read " + file + ": " + e.getMessage(), e);
    }
    read(text, file.toString(), file.toAbsolutePath().getParent(), definitions, subscriptions);
  }

  /**
   * Reads resource documents from text as if from a file (for tests and fuzzing).
   *
   * @param yaml the documents
   * @param label the file name messages use
   * @param base the directory relative URLs resolve against
   * @return what the text declares
   * @throws ComponentConfigException when a document is invalid
   */
  Resources loadText(String yaml, String label, Path base) {
    List<ComponentDefinition> components = new ArrayList<>();
    List<dev.pillion.pubsub.SubscriptionDefinition> subscriptions = new ArrayList<>();
    read(yaml, label, base, components, subscriptions);
    return new Resources(List.copyOf(components), List.copyOf(subscriptions));
  }

  /**
   * Reads the documents of one file in three passes: the parser's events, to refuse nesting deeper
   * than {@link #MAX_DEPTH} (SnakeYAML composes and constructs recursively, so a deep enough
   * document would overflow the stack); the node graph, to refuse what a resource never needs and
   * Java collections cannot hold safely (a node containing itself through an alias, a mapping key
   * that is not a plain value); then the Java objects.
   */
  private void read(
      String text,
      String label,
      Path base,
      List<ComponentDefinition> definitions,
      List<dev.pillion.pubsub.SubscriptionDefinition> subscriptions) {
    LoadSettings settings = LoadSettings.builder().setLabel(label).build();
    int index = 0;
    try {
      checkDepth(new Parse(settings).parseString(text), label);
      for (Node node : new Compose(settings).composeAllFromString(text)) {
        index++;
        String where = label + (index > 1 ? " (document " + index + ")" : "");
        checkShape(node, where, identitySet(), identitySet());
        Object document =
            new StandardConstructor(settings).constructSingleDocument(Optional.of(node));
        if (document == null) {
          continue;
        }
        if (document instanceof Map<?, ?> map && "Subscription".equals(map.get("kind"))) {
          subscriptions.add(parseSubscription(map, where));
          continue;
        }
        parseDocument(document, where, base).ifPresent(definitions::add);
      }
    } catch (YamlEngineException e) {
      throw new ComponentConfigException(label + " is not valid YAML: " + e.getMessage(), e);
    }
  }

  private static void checkDepth(Iterable<Event> events, String label) {
    int depth = 0;
    for (Event event : events) {
      Event.ID id = event.getEventId();
      if (id == Event.ID.SequenceStart || id == Event.ID.MappingStart) {
        if (++depth > MAX_DEPTH) {
          throw new ComponentConfigException(
              label
                  + ": "
                  + at(event.getStartMark())
                  + "nested deeper than "
                  + MAX_DEPTH
                  + " levels");
        }
      } else if (id == Event.ID.SequenceEnd || id == Event.ID.MappingEnd) {
        depth--;
      }
    }
  }

  /** Walks a document's node graph once per node (a shared node is checked once, not per use). */
  private static void checkShape(Node node, String where, Set<Node> path, Set<Node> done) {
    if (done.contains(node)) {
      return;
    }
    if (!path.add(node)) {
      throw new ComponentConfigException(
          where
              + ": "
              + at(node.getStartMark())
              + "an alias refers to a node that contains it; resources cannot be recursive");
    }
    if (node instanceof SequenceNode sequence) {
      for (Node item : sequence.getValue()) {
        checkShape(item, where, path, done);
      }
    } else if (node instanceof MappingNode mapping) {
      for (NodeTuple tuple : mapping.getValue()) {
        if (!(tuple.getKeyNode() instanceof ScalarNode)) {
          throw new ComponentConfigException(
              where
                  + ": "
                  + at(tuple.getKeyNode().getStartMark())
                  + "a mapping key must be a plain value, not a list or a mapping");
        }
        checkShape(tuple.getValueNode(), where, path, done);
      }
    }
    path.remove(node);
    done.add(node);
  }

  private static Set<Node> identitySet() {
    return java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
  }

  private static String at(Optional<Mark> mark) {
    return mark.map(m -> "line " + (m.getLine() + 1) + ": ").orElse("");
  }

  /**
   * A value as an error message shows it: collections by kind (printing one could be huge, as
   * aliases can share a node many times over), scalars quoted and cut at 200 characters.
   */
  private static String describe(Object value) {
    if (value instanceof Map) {
      return "a mapping";
    }
    if (value instanceof java.util.Collection) {
      return "a list";
    }
    if (value instanceof byte[] bytes) {
      return "binary data (" + bytes.length + " bytes)";
    }
    String text = String.valueOf(value);
    return "'" + (text.length() > 200 ? text.substring(0, 200) + "...'" : text + "'");
  }

  /**
   * A {@code kind: Subscription} of {@code dapr.io/v2alpha1} (routes) or {@code dapr.io/v1alpha1}
   * (route).
   */
  private dev.pillion.pubsub.SubscriptionDefinition parseSubscription(
      Map<?, ?> root, String where) {
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
    dev.pillion.pubsub.BulkSubscribe bulkSubscribe =
        spec.get("bulkSubscribe") == null
            ? dev.pillion.pubsub.BulkSubscribe.disabled()
            : bulkSubscribe(map(spec.get("bulkSubscribe"), at, "spec.bulkSubscribe"), at);
    dev.pillion.pubsub.Routes routes;
    try {
      if (spec.get("routes") != null) {
        routes = routes(map(spec.get("routes"), at, "spec.routes"), at);
      } else {
        routes =
            dev.pillion.pubsub.Routes.single(
                string(spec.get("route"), at, "spec.route (or spec.routes)"));
      }
    } catch (IllegalArgumentException e) {
      throw new ComponentConfigException(e.getMessage(), e);
    }
    Map<String, String> subscriptionMetadata = new java.util.LinkedHashMap<>();
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
    java.util.Optional<String> deadLetter =
        spec.get("deadLetterTopic") == null
            ? java.util.Optional.empty()
            : java.util.Optional.of(
                string(spec.get("deadLetterTopic"), at, "spec.deadLetterTopic"));
    dev.pillion.pubsub.SubscriptionDefinition definition =
        new dev.pillion.pubsub.SubscriptionDefinition(
            name,
            pubsub,
            topic,
            routes,
            deadLetter,
            scopes,
            subscriptionMetadata,
            where,
            bulkSubscribe);
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
  private static dev.pillion.pubsub.BulkSubscribe bulkSubscribe(Map<?, ?> bulk, String at) {
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
      return dev.pillion.pubsub.BulkSubscribe.of(
          enabled != null && Boolean.parseBoolean(enabled.toString()),
          integer(bulk.get("maxMessagesCount"), at, "spec.bulkSubscribe.maxMessagesCount"),
          integer(bulk.get("maxAwaitDurationMs"), at, "spec.bulkSubscribe.maxAwaitDurationMs"));
    } catch (IllegalArgumentException e) {
      throw new ComponentConfigException(
          at + ": " + e.getMessage().replace("bulkSubscribe.", "spec.bulkSubscribe."), e);
    }
  }

  /** A whole number, or 0 when absent. */
  private static long integer(Object value, String at, String field) {
    if (value == null) {
      return 0;
    }
    if (value instanceof Integer || value instanceof Long) {
      return ((Number) value).longValue();
    }
    if (value instanceof String text && text.matches("-?[0-9]{1,18}")) {
      return Long.parseLong(text);
    }
    throw new ComponentConfigException(
        at + ": " + field + " must be a whole number, got " + describe(value));
  }

  private static dev.pillion.pubsub.Routes routes(Map<?, ?> spec, String at) {
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
    java.util.Optional<String> defaultRoute =
        spec.get("default") == null
            ? java.util.Optional.empty()
            : java.util.Optional.of(string(spec.get("default"), at, "spec.routes.default"));
    if (rules.isEmpty() && defaultRoute.isEmpty()) {
      throw new ComponentConfigException(at + ": spec.routes needs rules or a default");
    }
    return dev.pillion.pubsub.Routes.of(rules, defaultRoute, at);
  }

  private java.util.Optional<ComponentDefinition> parseDocument(
      Object document, String where, Path base) {
    Map<?, ?> root = map(document, where, "the document");
    String kind = string(root.get("kind"), where, "kind");
    if (!"Component".equals(kind)) {
      if (OTHER_DAPR_KINDS.contains(kind)) {
        LOG.log(
            System.Logger.Level.INFO, where + ": kind " + kind + " is not supported yet; skipped");
        return java.util.Optional.empty();
      }
      throw new ComponentConfigException(
          where + ": unknown kind '" + kind + "' (expected Component)");
    }
    unknownFields(root, TOP_LEVEL, where, "");
    String apiVersion = string(root.get("apiVersion"), where, "apiVersion");
    if (!API_VERSION.equals(apiVersion)) {
      throw new ComponentConfigException(
          where
              + ": apiVersion '"
              + apiVersion
              + "' is not supported for kind Component (use "
              + API_VERSION
              + ")");
    }
    Map<?, ?> metadata = map(root.get("metadata"), where, "metadata");
    unknownFields(metadata, METADATA_FIELDS, where, "metadata.");
    String name = string(metadata.get("name"), where, "metadata.name");
    String at = where + ", component '" + name + "'";
    if (root.containsKey("auth")) {
      throw new ComponentConfigException(
          at + ": field 'auth' (secret store for secretKeyRef) is not supported yet");
    }
    Map<?, ?> spec = map(root.get("spec"), at, "spec");
    unknownFields(spec, SPEC_FIELDS, at, "spec.");
    ComponentDefinition.Builder builder =
        ComponentDefinition.builder(name, string(spec.get("type"), at, "spec.type"))
            .version(string(spec.get("version"), at, "spec.version"))
            .origin(where)
            .baseDirectory(base);
    if (spec.get("initTimeout") != null) {
      String timeout = scalar(spec.get("initTimeout"), at, "spec.initTimeout");
      Duration parsed;
      try {
        parsed = Durations.parse(timeout);
      } catch (IllegalArgumentException e) {
        throw new ComponentConfigException(at + ": spec.initTimeout: " + e.getMessage(), e);
      }
      if (parsed.isZero() || parsed.isNegative()) {
        throw new ComponentConfigException(
            at + ": spec.initTimeout must be positive, got '" + timeout + "'");
      }
      builder.initTimeout(parsed);
    }
    if (spec.get("ignoreErrors") != null) {
      Object ignore = spec.get("ignoreErrors");
      if (!(ignore instanceof Boolean) && !"true".equals(ignore) && !"false".equals(ignore)) {
        throw new ComponentConfigException(
            at + ": spec.ignoreErrors must be true or false, got " + describe(ignore));
      }
      builder.ignoreErrors(Boolean.parseBoolean(ignore.toString()));
    }
    if (spec.get("metadata") != null) {
      if (!(spec.get("metadata") instanceof List<?> items)) {
        throw new ComponentConfigException(
            at + ": spec.metadata must be a list of {name, value} entries");
      }
      int i = 0;
      for (Object item : items) {
        String field = "spec.metadata[" + i++ + "]";
        Map<?, ?> entry = map(item, at, field);
        String key = string(entry.get("name"), at, field + ".name");
        builder.metadata(key, metadataValue(entry, at, field + " (" + key + ")"));
      }
    }
    if (root.get("scopes") != null) {
      if (!(root.get("scopes") instanceof List<?> scopes)) {
        throw new ComponentConfigException(at + ": scopes must be a list of app ids");
      }
      List<String> ids = new ArrayList<>();
      for (Object scope : scopes) {
        ids.add(scalar(scope, at, "scopes"));
      }
      builder.scopes(ids);
    }
    return java.util.Optional.of(builder.build());
  }

  private String metadataValue(Map<?, ?> entry, String at, String field) {
    unknownFields(entry, Set.of("name", "value", "envRef", "secretKeyRef"), at, field + ".");
    if (entry.containsKey("secretKeyRef")) {
      throw new ComponentConfigException(
          at
              + ": "
              + field
              + ": secretKeyRef is not supported yet (no secret stores); use value or envRef");
    }
    boolean hasValue = entry.containsKey("value");
    boolean hasEnv = entry.containsKey("envRef");
    if (hasValue == hasEnv) {
      throw new ComponentConfigException(
          at + ": " + field + " needs exactly one of 'value' or 'envRef'");
    }
    if (hasEnv) {
      String variable = string(entry.get("envRef"), at, field + ".envRef");
      String value = environment.apply(variable);
      if (value == null) {
        throw new ComponentConfigException(
            at + ": " + field + ".envRef: environment variable '" + variable + "' is not set");
      }
      return value;
    }
    Object value = entry.get("value");
    return value == null ? "" : scalar(value, at, field + ".value");
  }

  private static void unknownFields(Map<?, ?> map, Set<String> known, String at, String prefix) {
    for (Object key : map.keySet()) {
      if (!known.contains(String.valueOf(key))) {
        throw new ComponentConfigException(
            at
                + ": unknown field '"
                + prefix
                + key
                + "' (expected one of "
                + new java.util.TreeSet<>(known)
                + ")");
      }
    }
  }

  private static Map<?, ?> map(Object value, String at, String field) {
    if (value instanceof Map<?, ?> map) {
      return map;
    }
    throw new ComponentConfigException(
        at
            + ": "
            + field
            + (value == null ? " is missing" : " must be a mapping, got " + describe(value)));
  }

  private static String string(Object value, String at, String field) {
    if (value == null) {
      throw new ComponentConfigException(at + ": " + field + " is missing");
    }
    String text = scalar(value, at, field);
    if (text.isEmpty()) {
      throw new ComponentConfigException(at + ": " + field + " is empty");
    }
    return text;
  }

  private static String scalar(Object value, String at, String field) {
    if (value instanceof Map || value instanceof List) {
      throw new ComponentConfigException(
          at + ": " + field + " must be a single value, got " + describe(value));
    }
    return String.valueOf(value);
  }
}
