package dev.pillion.block;

/** Where a {@link ComponentTypeProvider} registers its component types. */
@FunctionalInterface
public interface ComponentTypeRegistrar {
  /**
   * Registers a component type of a block; ignored when the runtime does not have that block.
   *
   * @param <C> the block's component type
   * @param block the block, the very instance the runtime uses (e.g. {@code
   *     StateBuildingBlock.create()})
   * @param type the {@code spec.type}, starting with the block's name and a dot
   * @param factory creates components of the type
   * @throws IllegalArgumentException when the type does not start with the block's name
   */
  <C extends AutoCloseable> void componentType(
      BuildingBlock<C, ?> block, String type, ComponentFactory<C> factory);
}
