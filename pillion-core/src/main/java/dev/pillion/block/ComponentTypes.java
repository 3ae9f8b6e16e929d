package dev.pillion.block;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The component types of one building block a runtime knows: the block's built-ins and any
 * registered in code. Every type starts with the block's name and a dot ({@code state.in-memory}).
 *
 * @param <C> the block's component type
 */
public final class ComponentTypes<C> {
  private final String block;
  private final Map<String, ComponentFactory<C>> factories = new TreeMap<>();

  private ComponentTypes(String block) {
    this.block = block;
  }

  /**
   * An empty registry.
   *
   * @param <C> the block's component type
   * @param block the block's name, the prefix of every type
   * @return a new, mutable registry
   */
  public static <C> ComponentTypes<C> create(String block) {
    return new ComponentTypes<>(Objects.requireNonNull(block, "block"));
  }

  /**
   * Registers (or replaces) a type.
   *
   * @param type the {@code spec.type}, e.g. {@code state.my-store}
   * @param factory creates components of the type
   * @return this registry
   * @throws IllegalArgumentException when the type does not start with the block's name and a dot
   */
  public ComponentTypes<C> register(String type, ComponentFactory<C> factory) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(factory, "factory");
    if (!type.startsWith(block + ".") || type.length() == block.length() + 1) {
      throw new IllegalArgumentException(
          "component type '"
              + type
              + "' does not belong to building block '"
              + block
              + "' (its types are named "
              + block
              + ".<name>)");
    }
    factories.put(type, factory);
    return this;
  }

  /**
   * The factory of a type.
   *
   * @param type the {@code spec.type}
   * @return the factory, or empty if unknown
   */
  public Optional<ComponentFactory<C>> factory(String type) {
    return Optional.ofNullable(factories.get(type));
  }

  /**
   * The known type names.
   *
   * @return the names, sorted
   */
  public Set<String> types() {
    return Collections.unmodifiableSet(factories.keySet());
  }
}
