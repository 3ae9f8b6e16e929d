package dev.pillion.block;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Which module provides a component type that is not part of pillion-core: read from {@code
 * optional-component-types.properties} beside this class, the one place that lists such types, so
 * that neither the loader nor a building block names them. The table must live here rather than in
 * the optional modules, as it is consulted exactly when a module is absent.
 */
final class OptionalComponentTypes {
  private static final String RESOURCE = "optional-component-types.properties";

  private static final Map<String, String> MODULES = read();

  private OptionalComponentTypes() {}

  /**
   * The module that provides a type, if a module of its own does.
   *
   * @param type a component type, e.g. {@code state.redis}
   * @return the module's artifact id, e.g. {@code pillion-redis}
   */
  static Optional<String> moduleProviding(String type) {
    return Optional.ofNullable(MODULES.get(type));
  }

  private static Map<String, String> read() {
    Properties table = new Properties();
    try (InputStream in = OptionalComponentTypes.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "pillion-core is missing its resource dev/pillion/block/" + RESOURCE);
      }
      table.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dev/pillion/block/" + RESOURCE, e);
    }
    Map<String, String> modules = new HashMap<>();
    table.stringPropertyNames().forEach(type -> modules.put(type, table.getProperty(type).trim()));
    return Map.copyOf(modules);
  }
}
