package dev.pillion.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading resources loads no building block: CEL (subscription routing) and its Guava are loaded
 * only by pub/sub, when it reads Subscription documents.
 */
class ResourceReadingClassesTest {
  @TempDir Path resources;

  /** Loads the test classpath afresh, recording every class it is asked for. */
  private static final class RecordingLoader extends URLClassLoader {
    final Set<String> requested = ConcurrentHashMap.newKeySet();

    RecordingLoader(URL[] urls) {
      super(urls, ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      requested.add(name);
      return super.loadClass(name, resolve);
    }
  }

  private static URL[] classpath() {
    return List.of(System.getProperty("java.class.path").split(File.pathSeparator)).stream()
        .map(
            entry -> {
              try {
                return Path.of(entry).toUri().toURL();
              } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
              }
            })
        .toArray(URL[]::new);
  }

  private Set<String> classesRequestedReading(String yaml, String readerMethod) throws Exception {
    Files.writeString(resources.resolve("resources.yaml"), yaml);
    try (RecordingLoader loader = new RecordingLoader(classpath())) {
      Class<?> reader = loader.loadClass(ComponentYaml.class.getName());
      Object instance = reader.getMethod("create").invoke(null);
      Object read = reader.getMethod(readerMethod, Path.class).invoke(instance, resources);
      if (readerMethod.equals("loadResources")) {
        Class<?> subscriptions = loader.loadClass("dev.pillion.pubsub.SubscriptionYaml");
        subscriptions
            .getMethod("read", List.class)
            .invoke(null, read.getClass().getMethod("documents").invoke(read));
      }
      return loader.requested;
    }
  }

  private static final String COMPONENT =
      """
      apiVersion: dapr.io/v1alpha1
      kind: Component
      metadata: {name: statestore}
      spec:
        type: state.in-memory
        version: v1
        metadata:
        - {name: password, secretKeyRef: {name: db, key: password}}
      auth: {secretStore: vault}
      """;

  @Test
  void readingComponentsLoadsNeitherCelNorGuavaNorPubSub() throws Exception {
    Set<String> requested = classesRequestedReading(COMPONENT, "loadFolder");
    assertThat(requested).contains(ComponentDefinition.class.getName());
    assertThat(requested)
        .noneMatch(name -> name.startsWith("dev.cel."))
        .noneMatch(name -> name.startsWith("com.google.common."))
        .noneMatch(name -> name.startsWith("dev.pillion.pubsub."));
  }

  @Test
  void readingARoutedSubscriptionLoadsCel() throws Exception {
    // The positive control: the recording loader sees CEL when a rule needs it.
    Set<String> requested =
        classesRequestedReading(
            COMPONENT
                + """
                ---
                apiVersion: dapr.io/v2alpha1
                kind: Subscription
                metadata: {name: orders}
                spec:
                  pubsubname: pubsub
                  topic: orders
                  routes:
                    rules:
                    - {match: 'event.type == "big"', path: /big}
                    default: /orders
                """,
            "loadResources");
    assertThat(requested).anyMatch(name -> name.startsWith("dev.cel."));
  }
}
