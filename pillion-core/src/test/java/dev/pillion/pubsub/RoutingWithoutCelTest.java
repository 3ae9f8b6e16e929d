package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CEL is an optional dependency of pillion-core: an application that leaves it out (as pillion-core
 * alone does, since optional dependencies are not inherited) still reads subscriptions with single
 * routes, and a subscription with rules is refused with an error naming it and the missing library.
 * Runs pillion-core from its test classpath with every CEL jar removed.
 */
class RoutingWithoutCelTest {
  @TempDir Path resources;

  private static URLClassLoader withoutCel() {
    List<String> classpath =
        List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    URL[] urls =
        classpath.stream()
            .filter(entry -> !Path.of(entry).toString().contains("/dev/cel/"))
            .map(
                entry -> {
                  try {
                    return Path.of(entry).toUri().toURL();
                  } catch (MalformedURLException e) {
                    throw new IllegalStateException(e);
                  }
                })
            .toArray(URL[]::new);
    assertThat(urls).as("the CEL jar was on the test classpath").hasSizeLessThan(classpath.size());
    return new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
  }

  private static final String SUBSCRIPTION =
      """
      apiVersion: dapr.io/v2alpha1
      kind: Subscription
      metadata: {name: orders}
      spec:
        pubsubname: pubsub
        topic: orders
      """;

  /** Reads the folder with ComponentYaml then SubscriptionYaml, in the given class loader. */
  private Object readSubscriptions(ClassLoader loader, String yaml) throws Exception {
    Files.writeString(resources.resolve("subscription.yaml"), yaml);
    Class<?> reader = loader.loadClass("dev.pillion.config.ComponentYaml");
    Object instance = reader.getMethod("create").invoke(null);
    Object read = reader.getMethod("loadResources", Path.class).invoke(instance, resources);
    Object documents = read.getClass().getMethod("documents").invoke(read);
    try {
      return loader
          .loadClass("dev.pillion.pubsub.SubscriptionYaml")
          .getMethod("read", List.class)
          .invoke(null, documents);
    } catch (InvocationTargetException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void celIsNotVisibleToTheIsolatedLoader() throws Exception {
    try (URLClassLoader loader = withoutCel()) {
      assertThat(loader.getResource("dev/cel/runtime/CelRuntime.class")).isNull();
      // The control: the test's own classpath has CEL (pillion-core's optional dependency).
      assertThat(getClass().getClassLoader().getResource("dev/cel/runtime/CelRuntime.class"))
          .isNotNull();
    }
  }

  @Test
  void aSingleRouteAndADefaultOnlyNeedNoCel() throws Exception {
    try (URLClassLoader loader = withoutCel()) {
      Object single = readSubscriptions(loader, SUBSCRIPTION + "  route: /orders\n");
      assertThat((List<?>) single).hasSize(1);
      Object defaultOnly =
          readSubscriptions(loader, SUBSCRIPTION + "  routes:\n    default: /orders\n");
      assertThat((List<?>) defaultOnly).hasSize(1);
    }
  }

  @Test
  void rulesWithoutCelAreRefusedNamingTheSubscriptionAndTheLibrary() throws Exception {
    try (URLClassLoader loader = withoutCel()) {
      Exception refused =
          assertThrows(
              Exception.class,
              () ->
                  readSubscriptions(
                      loader,
                      SUBSCRIPTION
                          + """
                            routes:
                              rules:
                              - {match: 'event.type == "big"', path: /big}
                              default: /orders
                          """));
      assertThat(refused.getClass().getName())
          .isEqualTo("dev.pillion.config.ComponentConfigException");
      assertThat(refused.getMessage())
          .contains("subscription 'orders'")
          .contains("routes.rules")
          .contains("dev.cel:cel")
          .contains("not on the class path");
    }
  }

  @Test
  void rulesGivenInCodeWithoutCelNameWhereTheyCameFrom() throws Exception {
    try (URLClassLoader loader = withoutCel()) {
      Class<?> routes = loader.loadClass(Routes.class.getName());
      InvocationTargetException refused =
          assertThrows(
              InvocationTargetException.class,
              () ->
                  routes
                      .getMethod("of", List.class, String.class)
                      .invoke(
                          null,
                          List.of(Map.entry("event.type == \"big\"", "/big")),
                          "/dapr/subscribe entry 'orders'"));
      assertThat(refused.getCause())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("/dapr/subscribe entry 'orders': routes.rules")
          .hasMessageContaining("dev.cel:cel");
    }
  }
}
