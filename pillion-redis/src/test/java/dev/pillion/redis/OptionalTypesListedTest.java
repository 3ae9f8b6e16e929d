package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.block.BuildingBlock;
import dev.pillion.block.ComponentFactory;
import dev.pillion.block.ComponentTypeRegistrar;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * pillion-core names the module a missing component type needs from a list it keeps
 * (optional-component-types.properties), since the module that registers the type is exactly what
 * is missing then. The list and what this module registers must not drift apart.
 */
class OptionalTypesListedTest {
  @Test
  void theTypesThisModuleRegistersAreTheOnesCoreListsForIt() throws IOException {
    Set<String> registered = new TreeSet<>();
    new RedisComponentTypes()
        .register(
            new ComponentTypeRegistrar() {
              @Override
              public <C extends AutoCloseable> void componentType(
                  BuildingBlock<C, ?> block, String type, ComponentFactory<C> factory) {
                registered.add(type);
              }
            });
    Properties listed = new Properties();
    try (InputStream in =
        BuildingBlock.class.getResourceAsStream("optional-component-types.properties")) {
      assertThat(in).as("pillion-core's list of types in optional modules").isNotNull();
      listed.load(in);
    }
    Set<String> listedForThisModule = new TreeSet<>();
    listed.forEach(
        (type, module) -> {
          if (module.equals("pillion-redis")) {
            listedForThisModule.add((String) type);
          }
        });

    assertThat(registered).isNotEmpty().isEqualTo(listedForThisModule);
  }
}
