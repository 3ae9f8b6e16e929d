package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.Pillion;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.testing.RedisServerFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The YAML {@code dapr init} writes loads unchanged: the runtime finds {@code state.redis} and
 * {@code pubsub.redis} through the ServiceLoader (this module on the class path), and the data
 * lands in daprd's layout.
 */
class RedisRuntimeTest {
  @Test
  void daprInitsYamlLoadsThroughTheServiceLoader(@TempDir Path resources)
      throws IOException, InterruptedException {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    try (RedisServerFixture server = RedisServerFixture.start();
        RedisModule observer = RedisRequests.connect(server)) {
      Files.writeString(
          resources.resolve("statestore.yaml"),
          """
          apiVersion: dapr.io/v1alpha1
          kind: Component
          metadata:
            name: statestore
          spec:
            type: state.redis
            version: v1
            metadata:
            - name: redisHost
              value: %s
            - name: redisPassword
              value: ""
            - name: actorStateStore
              value: "true"
          """
              .formatted(server.address()));
      Files.writeString(
          resources.resolve("pubsub.yaml"),
          """
          apiVersion: dapr.io/v1alpha1
          kind: Component
          metadata:
            name: pubsub
          spec:
            type: pubsub.redis
            version: v1
            metadata:
            - name: redisHost
              value: %s
            - name: redisPassword
              value: ""
          """
              .formatted(server.address()));
      try (Pillion runtime = Pillion.builder().appId("shop").resourcesPath(resources).build()) {
        assertThat(runtime.components())
            .extracting(Pillion.LoadedComponent::type, Pillion.LoadedComponent::blocking)
            .containsExactlyInAnyOrder(tuple("state.redis", true), tuple("pubsub.redis", true));
        CountDownLatch received = new CountDownLatch(1);
        try (Subscription subscription =
            runtime
                .pubsub("pubsub")
                .subscribe(
                    SubscriptionOptions.builder("orders").build(),
                    event -> {
                      received.countDown();
                      return DeliveryResult.SUCCESS;
                    })) {
          runtime.pubsub("pubsub").publish(PublishRequest.builder("orders", "{\"id\":1}").build());
          assertThat(received.await(20, TimeUnit.SECONDS)).isTrue();
        }
        runtime.state("statestore").save("order-1", "{\"qty\":2}");
        assertThat(
                new String(
                    runtime.state("statestore").get("order-1").orElseThrow().value(),
                    StandardCharsets.UTF_8))
            .isEqualTo("{\"qty\":2}");
      }
      // daprd's layout: a hash under appid||key with the value in data and the etag in version.
      var hash =
          RedisRequests.replies(
                  observer.execute(
                      RedisRequests.pipeline(RedisRequests.command("HGETALL", "shop||order-1")),
                      RedisRequests.MAX_ANSWER))
              .get(0)
              .getArray()
              .getItemsList();
      Map<String, String> fields = new java.util.TreeMap<>();
      for (int i = 0; i + 1 < hash.size(); i += 2) {
        fields.put(RedisRequests.text(hash.get(i)), RedisRequests.text(hash.get(i + 1)));
      }
      assertThat(fields).containsOnlyKeys("data", "version").containsEntry("version", "1");
      assertThat(fields.get("data")).isEqualTo("{\"qty\":2}");
      // daprd's stream layout: the CloudEvent in the entry's data field.
      var entry =
          RedisRequests.replies(
                  observer.execute(
                      RedisRequests.pipeline(
                          RedisRequests.command("XRANGE", "orders", "-", "+", "COUNT", "1")),
                      RedisRequests.MAX_ANSWER))
              .get(0)
              .getArray()
              .getItems(0)
              .getArray()
              .getItems(1)
              .getArray()
              .getItemsList();
      assertThat(RedisRequests.text(entry.get(0))).isEqualTo("data");
      assertThat(RedisRequests.text(entry.get(1))).contains("\"specversion\"").contains("\"id\":1");
    }
  }
}
