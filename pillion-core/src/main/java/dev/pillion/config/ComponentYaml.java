package dev.pillion.config;

import static dev.pillion.config.YamlFields.map;
import static dev.pillion.config.YamlFields.scalar;
import static dev.pillion.config.YamlFields.string;
import static dev.pillion.config.YamlFields.unknownFields;

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
 * more documents, as data. {@code kind: Component} documents become {@link ComponentDefinition}s
 * whose metadata values are still references where the YAML says so ({@code envRef}, {@code
 * secretKeyRef}); the runtime resolves them when it loads the component. {@code Subscription} and
 * {@code Configuration} documents are returned as {@link ResourceDocument}s for the building blocks
 * that read them; other Dapr kinds (Resiliency, HTTPEndpoint) are skipped with a log line. Anything
 * Pillion cannot honour is an error naming the file, the component and the field.
 *
 * <p>Reading resources loads no building block: a subscription's routing rules (CEL) are compiled
 * only when pub/sub reads the Subscription documents.
 */
public final class ComponentYaml {
  private static final System.Logger LOG = System.getLogger(ComponentYaml.class.getName());
  private static final String API_VERSION = "dapr.io/v1alpha1";

  /** The kind of a component document. */
  public static final String COMPONENT = "Component";

  /** The kind of a subscription document. */
  public static final String SUBSCRIPTION = "Subscription";

  /** The kind of a configuration document. */
  public static final String CONFIGURATION = "Configuration";

  /** The kind of a Wasm app's manifest (Pillion's own, {@code pillion.dev/v1alpha1}). */
  public static final String APP = "App";

  private static final Set<String> DOCUMENT_KINDS = Set.of(SUBSCRIPTION, CONFIGURATION, APP);
  private static final Set<String> SKIPPED_KINDS = Set.of("Resiliency", "HTTPEndpoint");
  private static final Set<String> TOP_LEVEL =
      Set.of("apiVersion", "kind", "metadata", "spec", "scopes", "auth");
  private static final Set<String> METADATA_FIELDS =
      Set.of("name", "namespace", "labels", "annotations");

  /** Deeper than any Dapr resource; SnakeYAML recurses per level. */
  private static final int MAX_DEPTH = 64;

  private static final Set<String> SPEC_FIELDS =
      Set.of("type", "version", "metadata", "initTimeout", "ignoreErrors");

  private ComponentYaml() {}

  /**
   * A reader.
   *
   * @return the reader
   */
  public static ComponentYaml create() {
    return new ComponentYaml();
  }

  /**
   * What a resources folder declares.
   *
   * @param components the {@code kind: Component} documents
   * @param documents the other documents a building block reads ({@code Subscription}, {@code
   *     Configuration}), in file order
   */
  public record Resources(List<ComponentDefinition> components, List<ResourceDocument> documents) {
    /** Copies the lists. */
    public Resources {
      components = List.copyOf(components);
      documents = List.copyOf(documents);
    }

    /**
     * The documents of one kind.
     *
     * @param kind e.g. {@code Subscription}
     * @return them, in file order
     */
    public List<ResourceDocument> documents(String kind) {
      return documents.stream().filter(document -> document.kind().equals(kind)).toList();
    }
  }

  /**
   * Reads every resource file of a folder, in file-name order.
   *
   * @param folder the resources folder
   * @return what it declares
   * @throws ComponentConfigException when the folder cannot be read or a document is invalid
   */
  public Resources loadResources(Path folder) {
    List<ComponentDefinition> components = new ArrayList<>();
    List<ResourceDocument> documents = new ArrayList<>();
    for (Path file : files(folder)) {
      read(file, components, documents);
    }
    return new Resources(components, documents);
  }

  /**
   * Reads the components of every resource file of a folder, in file-name order.
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
      Path file, List<ComponentDefinition> definitions, List<ResourceDocument> documents) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ComponentConfigException("cannot read " + file + ": " + e.getMessage(), e);
    }
    read(text, file.toString(), file.toAbsolutePath().getParent(), definitions, documents);
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
  public Resources loadText(String yaml, String label, Path base) {
    List<ComponentDefinition> components = new ArrayList<>();
    List<ResourceDocument> documents = new ArrayList<>();
    read(yaml, label, base, components, documents);
    return new Resources(components, documents);
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
      List<ResourceDocument> documents) {
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
        Map<?, ?> root = map(document, where, "the document");
        String kind = string(root.get("kind"), where, "kind");
        if (DOCUMENT_KINDS.contains(kind)) {
          documents.add(new ResourceDocument(kind, root, where, base));
        } else if (SKIPPED_KINDS.contains(kind)) {
          LOG.log(
              System.Logger.Level.INFO,
              where + ": kind " + kind + " is not supported yet; skipped");
        } else if (COMPONENT.equals(kind)) {
          definitions.add(parseComponent(root, where, base));
        } else {
          throw new ComponentConfigException(
              where
                  + ": unknown kind '"
                  + kind
                  + "' (expected Component, Subscription, Configuration or App)");
        }
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

  private ComponentDefinition parseComponent(Map<?, ?> root, String where, Path base) {
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
      builder.ignoreErrors(YamlFields.bool(spec.get("ignoreErrors"), at, "spec.ignoreErrors"));
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
    if (root.get("auth") != null) {
      Map<?, ?> auth = map(root.get("auth"), at, "auth");
      unknownFields(auth, Set.of("secretStore"), at, "auth.");
      builder.secretStore(string(auth.get("secretStore"), at, "auth.secretStore"));
    }
    return builder.build();
  }

  /**
   * One {@code spec.metadata} entry's value: exactly one of {@code value}, {@code envRef} or {@code
   * secretKeyRef: {name, key}}, kept as stated.
   */
  private static MetadataValue metadataValue(Map<?, ?> entry, String at, String field) {
    unknownFields(entry, Set.of("name", "value", "envRef", "secretKeyRef"), at, field + ".");
    int kinds =
        (entry.containsKey("value") ? 1 : 0)
            + (entry.containsKey("envRef") ? 1 : 0)
            + (entry.containsKey("secretKeyRef") ? 1 : 0);
    if (kinds != 1) {
      throw new ComponentConfigException(
          at + ": " + field + " needs exactly one of 'value', 'envRef' or 'secretKeyRef'");
    }
    if (entry.containsKey("envRef")) {
      return MetadataValue.envRef(string(entry.get("envRef"), at, field + ".envRef"));
    }
    if (entry.containsKey("secretKeyRef")) {
      Map<?, ?> ref = map(entry.get("secretKeyRef"), at, field + ".secretKeyRef");
      unknownFields(ref, Set.of("name", "key"), at, field + ".secretKeyRef.");
      String key =
          ref.get("key") == null ? "" : scalar(ref.get("key"), at, field + ".secretKeyRef.key");
      return MetadataValue.secretKeyRef(
          string(ref.get("name"), at, field + ".secretKeyRef.name"), key);
    }
    Object value = entry.get("value");
    return MetadataValue.literal(value == null ? "" : scalar(value, at, field + ".value"));
  }
}
