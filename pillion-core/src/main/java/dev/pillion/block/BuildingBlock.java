package dev.pillion.block;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * A Dapr building block as the runtime extends it: what its components are called in YAML, which
 * types of component it knows, and how an application's API is opened over a loaded component. The
 * runtime ({@link ComponentLoader}) holds no list of blocks of its own; everything it does for
 * state, pub/sub or secrets it does through this interface.
 *
 * <p>Implementations are stateless and immutable: per-runtime settings (the app id, resource
 * documents) reach them through {@link #prepare(RuntimeContext)}.
 *
 * @param <C> the component type of the block's SPI (e.g. {@code StateComponent})
 * @param <A> the API applications use (e.g. {@code StateStore})
 */
public interface BuildingBlock<C extends AutoCloseable, A> {
  /**
   * The block's name, which is also the prefix of its components' {@code spec.type} ({@code state}
   * for {@code state.in-memory}).
   *
   * @return the name
   */
  String name();

  /**
   * What one of its components is called in messages, e.g. {@code state store}.
   *
   * @return the noun
   */
  String componentNoun();

  /**
   * The API type, for typed lookups.
   *
   * @return the class of {@code A}
   */
  Class<A> apiType();

  /**
   * The component types the block provides without registration.
   *
   * @return a new, mutable registry holding the built-in types
   */
  ComponentTypes<C> builtInTypes();

  /**
   * Reads what the block needs from the runtime (the app id, its resource documents) before any of
   * its components is opened, and checks it.
   *
   * @param context the runtime being built
   * @return opens the block's API over each loaded component
   * @throws dev.pillion.config.ComponentConfigException when a resource the block reads is invalid
   */
  Opener<C, A> prepare(RuntimeContext context);

  /**
   * The features a component reports, as Dapr's metadata API lists them.
   *
   * @param component a loaded component
   * @return the feature strings
   */
  Set<String> features(C component);

  /**
   * Closes an API and the component behind it (for pub/sub: stops its subscriptions first).
   *
   * @param api an API this block opened
   */
  void close(A api);

  /**
   * Stops what an API opened for one hosted app runs (for pub/sub: its subscriptions) when that app
   * stops, without closing the component, which other apps still use ({@link LoadedBlocks#forApp}).
   * Nothing by default.
   *
   * @param api an API this block opened for a hosted app
   */
  default void release(A api) {}

  /**
   * The exception for a lookup of a component that is not loaded.
   *
   * @param name the requested name
   * @param loaded the names of the block's loaded components
   * @return the block's typed not-found exception
   */
  RuntimeException notFound(String name, Collection<String> loaded);

  /**
   * Opens a block's API over one loaded component.
   *
   * @param <C> the component type
   * @param <A> the API type
   */
  @FunctionalInterface
  interface Opener<C, A> {
    /**
     * Opens the API.
     *
     * @param name the component's name
     * @param component the loaded component
     * @param metadata the component's resolved metadata (empty for components given in code)
     * @return the API applications use
     */
    A open(String name, C component, Map<String, String> metadata);
  }
}
