package dev.pillion.secrets;

import static dev.pillion.config.YamlFields.map;
import static dev.pillion.config.YamlFields.scalar;
import static dev.pillion.config.YamlFields.string;
import static dev.pillion.config.YamlFields.strings;
import static dev.pillion.config.YamlFields.unknownFields;

import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentYaml;
import dev.pillion.config.ResourceDocument;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The secret scoping of a runtime: {@code spec.secrets.scopes} of the {@code kind: Configuration}
 * resources in its resources paths, one {@link SecretScope} per store. A store without a scope
 * allows every secret. Other {@code spec} sections of a Configuration (tracing, features, ...) are
 * not Pillion's yet; they are named in one log line and ignored, as before.
 */
public final class SecretScopes {
  private static final System.Logger LOG = System.getLogger(SecretScopes.class.getName());
  private static final String API_VERSION = "dapr.io/v1alpha1";
  private static final Set<String> TOP_LEVEL = Set.of("apiVersion", "kind", "metadata", "spec");
  private static final Set<String> METADATA_FIELDS =
      Set.of("name", "namespace", "labels", "annotations");
  private static final Set<String> SCOPE_FIELDS =
      Set.of("storeName", "defaultAccess", "allowedSecrets", "deniedSecrets");

  private final Map<String, SecretScope> scopes;

  private SecretScopes(Map<String, SecretScope> scopes) {
    this.scopes = Map.copyOf(scopes);
  }

  /**
   * No scoping: every store allows every secret.
   *
   * @return the scopes
   */
  public static SecretScopes none() {
    return new SecretScopes(Map.of());
  }

  /**
   * Reads the scopes of the Configuration documents among resource documents.
   *
   * @param documents resource documents of any kind; only {@code Configuration}s are read
   * @return the scopes
   * @throws ComponentConfigException naming the file and field when a Configuration is invalid or
   *     two scopes name the same store
   */
  public static SecretScopes read(List<ResourceDocument> documents) {
    Map<String, SecretScope> scopes = new LinkedHashMap<>();
    Map<String, String> declaredAt = new LinkedHashMap<>();
    for (ResourceDocument document : documents) {
      if (!ComponentYaml.CONFIGURATION.equals(document.kind())) {
        continue;
      }
      read(document, scopes, declaredAt);
    }
    return new SecretScopes(scopes);
  }

  private static void read(
      ResourceDocument document, Map<String, SecretScope> scopes, Map<String, String> declaredAt) {
    Map<?, ?> root = document.root();
    String where = document.where();
    unknownFields(root, TOP_LEVEL, where, "");
    String apiVersion = string(root.get("apiVersion"), where, "apiVersion");
    if (!API_VERSION.equals(apiVersion)) {
      throw new ComponentConfigException(
          where
              + ": apiVersion '"
              + apiVersion
              + "' is not supported for kind Configuration (use "
              + API_VERSION
              + ")");
    }
    Map<?, ?> metadata = map(root.get("metadata"), where, "metadata");
    unknownFields(metadata, METADATA_FIELDS, where, "metadata.");
    String at =
        where + ", configuration '" + string(metadata.get("name"), where, "metadata.name") + "'";
    if (root.get("spec") == null) {
      return;
    }
    Map<?, ?> spec = map(root.get("spec"), at, "spec");
    Set<String> ignored = new TreeSet<>();
    spec.keySet().forEach(key -> ignored.add(String.valueOf(key)));
    ignored.remove("secrets");
    if (!ignored.isEmpty()) {
      LOG.log(
          System.Logger.Level.INFO,
          at + ": spec." + String.join(", spec.", ignored) + " not supported yet; ignored");
    }
    if (spec.get("secrets") == null) {
      return;
    }
    Map<?, ?> secrets = map(spec.get("secrets"), at, "spec.secrets");
    unknownFields(secrets, Set.of("scopes"), at, "spec.secrets.");
    if (secrets.get("scopes") == null) {
      return;
    }
    if (!(secrets.get("scopes") instanceof List<?> list)) {
      throw new ComponentConfigException(
          at + ": spec.secrets.scopes must be a list of {storeName, defaultAccess, ...}");
    }
    int i = 0;
    for (Object item : list) {
      String field = "spec.secrets.scopes[" + i++ + "]";
      Map<?, ?> entry = map(item, at, field);
      unknownFields(entry, SCOPE_FIELDS, at, field + ".");
      String store = string(entry.get("storeName"), at, field + ".storeName");
      String access =
          entry.get("defaultAccess") == null
              ? ""
              : scalar(entry.get("defaultAccess"), at, field + ".defaultAccess");
      String lower = access.toLowerCase(Locale.ROOT);
      if (!lower.isEmpty() && !lower.equals("allow") && !lower.equals("deny")) {
        throw new ComponentConfigException(
            at + ": " + field + ".defaultAccess must be allow or deny, got '" + access + "'");
      }
      String previous = declaredAt.putIfAbsent(store, at + " " + field);
      if (previous != null) {
        throw new ComponentConfigException(
            at
                + ": "
                + field
                + ": storeName '"
                + store
                + "' is repeated in the secrets configuration (first in "
                + previous
                + ")");
      }
      scopes.put(
          store,
          SecretScope.of(
              store,
              lower.equals("deny"),
              strings(entry.get("allowedSecrets"), at, field + ".allowedSecrets"),
              strings(entry.get("deniedSecrets"), at, field + ".deniedSecrets")));
    }
  }

  /**
   * The scope of a store.
   *
   * @param store the store's name
   * @return its scope; allow-all when none is configured
   */
  public SecretScope of(String store) {
    return scopes.getOrDefault(store, SecretScope.allowAll(store));
  }
}
