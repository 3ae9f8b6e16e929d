package dev.pillion.block;

/**
 * Contributes component types of building blocks from a module of its own (e.g. {@code
 * pillion-redis}: {@code state.redis}, {@code pubsub.redis}), found with {@link
 * java.util.ServiceLoader}: on the module path through {@code provides
 * dev.pillion.block.ComponentTypeProvider with ...} in the module's descriptor, on the class path
 * through {@code META-INF/services/dev.pillion.block.ComponentTypeProvider}.
 *
 * <p>{@link ComponentLoader#builder()} applies every provider found to each block it adds, after
 * the block's built-in types and before any type the application registers in code, which therefore
 * wins. A provider may name blocks the runtime does not have: those registrations are ignored.
 */
@FunctionalInterface
public interface ComponentTypeProvider {
  /**
   * Registers the provider's types.
   *
   * @param registrar where to register them
   */
  void register(ComponentTypeRegistrar registrar);
}
