package dev.pillion.invoke.resolution;

import static dev.pillion.config.YamlFields.map;
import static dev.pillion.config.YamlFields.scalar;
import static dev.pillion.config.YamlFields.string;
import static dev.pillion.config.YamlFields.unknownFields;

import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentYaml;
import dev.pillion.config.ResourceDocument;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The name resolver a runtime uses: {@code spec.nameResolution} of a {@code kind: Configuration}
 * among its resources, in Dapr's shape ({@code component}, {@code version}, {@code configuration}),
 * or daprd's self-hosted default, {@code mdns}, when no Configuration has one.
 *
 * @param component the resolver's name
 * @param version its version; empty or {@code v1}
 * @param configuration the {@code configuration} mapping, empty when absent
 * @param where the file and Configuration it came from, {@code defaults} when none
 */
public record NameResolutionSpec(
    String component, String version, Map<String, Object> configuration, String where) {
  /** The resolver used when no Configuration selects one: daprd's self-hosted default. */
  public static final String DEFAULT_COMPONENT = "mdns";

  private static final Set<String> FIELDS = Set.of("component", "version", "configuration");

  /** Checks and copies the fields. */
  public NameResolutionSpec {
    if (component == null || component.isEmpty()) {
      throw new IllegalArgumentException("component is empty");
    }
    if (version == null || where == null) {
      throw new IllegalArgumentException("version and where must be given");
    }
    configuration = Collections.unmodifiableMap(new LinkedHashMap<>(configuration));
  }

  /**
   * Daprd's self-hosted default: {@code mdns}, which Pillion serves with its same-machine registry.
   *
   * @return the default
   */
  public static NameResolutionSpec defaults() {
    return new NameResolutionSpec(DEFAULT_COMPONENT, "", Map.of(), "defaults");
  }

  /**
   * Reads {@code spec.nameResolution} from the Configurations among resource documents.
   *
   * @param documents resource documents of any kind; only {@code Configuration}s are read
   * @return the Configuration's choice, or {@link #defaults()} when none makes one
   * @throws ComponentConfigException naming the file, Configuration and field when {@code
   *     nameResolution} is malformed or two Configurations set it
   */
  public static NameResolutionSpec read(List<ResourceDocument> documents) {
    NameResolutionSpec chosen = null;
    for (ResourceDocument document : documents) {
      if (!ComponentYaml.CONFIGURATION.equals(document.kind())) {
        continue;
      }
      Optional<NameResolutionSpec> read = read(document);
      if (read.isEmpty()) {
        continue;
      }
      NameResolutionSpec spec = read.get();
      if (chosen != null) {
        throw new ComponentConfigException(
            spec.where()
                + ": spec.nameResolution is set a second time (first in "
                + chosen.where()
                + "); a runtime has one name resolver");
      }
      chosen = spec;
    }
    return chosen == null ? defaults() : chosen;
  }

  private static Optional<NameResolutionSpec> read(ResourceDocument document) {
    Object spec = document.root().get("spec");
    if (!(spec instanceof Map<?, ?> specMap) || specMap.get("nameResolution") == null) {
      return Optional.empty();
    }
    String at = document.where() + configurationName(document);
    Map<?, ?> section = map(specMap.get("nameResolution"), at, "spec.nameResolution");
    unknownFields(section, FIELDS, at, "spec.nameResolution.");
    String component = string(section.get("component"), at, "spec.nameResolution.component");
    String version =
        section.get("version") == null
            ? ""
            : scalar(section.get("version"), at, "spec.nameResolution.version");
    if (!version.isEmpty() && !version.equals("v1")) {
      throw new ComponentConfigException(
          at
              + ": spec.nameResolution.version '"
              + version
              + "' is not supported for name resolution '"
              + component
              + "' (use v1)");
    }
    Map<String, Object> configuration = new LinkedHashMap<>();
    if (section.get("configuration") != null) {
      map(section.get("configuration"), at, "spec.nameResolution.configuration")
          .forEach((key, value) -> configuration.put(String.valueOf(key), value));
    }
    return Optional.of(new NameResolutionSpec(component, version, configuration, at));
  }

  private static String configurationName(ResourceDocument document) {
    if (document.root().get("metadata") instanceof Map<?, ?> metadata
        && metadata.get("name") != null
        && !(metadata.get("name") instanceof Map)
        && !(metadata.get("name") instanceof List)) {
      return ", configuration '" + metadata.get("name") + "'";
    }
    return "";
  }
}
