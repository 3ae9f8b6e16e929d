package dev.pillion.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * One Dapr resource document other than a Component, as read from a resources folder and not yet
 * interpreted: the building block it belongs to reads it ({@code Subscription}: pub/sub; {@code
 * Configuration}: its {@code spec.secrets} by the secrets block). Its fields are SnakeYAML's plain
 * values (maps, lists, scalars), already checked to be acyclic and shallow; read them with {@link
 * YamlFields}.
 *
 * @param kind the document's {@code kind}
 * @param root the whole document
 * @param where the file (and document number) it came from, for messages
 * @param baseDirectory the directory of its file
 */
public record ResourceDocument(String kind, Map<?, ?> root, String where, Path baseDirectory) {
  /** Checks the fields. */
  public ResourceDocument {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(where, "where");
    Objects.requireNonNull(baseDirectory, "baseDirectory");
  }
}
