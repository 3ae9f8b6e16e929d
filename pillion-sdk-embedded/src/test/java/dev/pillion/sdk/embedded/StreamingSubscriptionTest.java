package dev.pillion.sdk.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.PillionServer;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.DaprPreviewClient;
import io.dapr.client.SubscriptionListener;
import io.dapr.client.domain.CloudEvent;
import io.dapr.config.Properties;
import io.dapr.utils.TypeRef;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;

/**
 * The Java SDK's preview client subscribes over the gRPC stream (SubscribeTopicEventsAlpha1),
 * against the server and against the embedded client; a RETRY answer brings the event back.
 */
class StreamingSubscriptionTest {
  @ParameterizedTest
  @ValueSource(strings = {"server", "embedded"})
  void streamingSubscriptionReceivesPublishedEvents(String mode) throws Exception {
    try (Pillion runtime =
        Pillion.builder()
            .appId("streamer")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build()) {
      PillionServer server = null;
      EmbeddedDapr embedded = null;
      DaprClientBuilder builder;
      if (mode.equals("server")) {
        server =
            PillionServer.builder()
                .runtime(runtime)
                .httpPort(0)
                .grpcPort(0)
                .gracePeriod(java.time.Duration.ofMillis(500))
                .build()
                .start();
        builder =
            new DaprClientBuilder()
                .withPropertyOverride(
                    Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort());
      } else {
        embedded = EmbeddedDapr.start(runtime);
        builder = embedded.clientBuilder();
      }
      BlockingQueue<String> received = new LinkedBlockingQueue<>();
      AtomicInteger retries = new AtomicInteger(1);
      try (DaprPreviewClient preview = builder.buildPreviewClient();
          DaprClient client = builder.build();
          var subscription =
              preview.subscribeToEvents(
                  "pubsub",
                  "orders",
                  new SubscriptionListener<String>() {
                    @Override
                    public Mono<Status> onEvent(CloudEvent<String> event) {
                      if (retries.getAndDecrement() > 0) {
                        return Mono.just(Status.RETRY);
                      }
                      received.add(event.getData());
                      return Mono.just(Status.SUCCESS);
                    }

                    @Override
                    public void onError(RuntimeException exception) {
                      received.add("error: " + exception.getMessage());
                    }
                  },
                  TypeRef.STRING)) {
        var pubsub = (dev.pillion.pubsub.DefaultPubSub) runtime.pubsub("pubsub");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pubsub.subscriptions().isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertThat(pubsub.subscriptions()).as("the stream subscribed").hasSize(1);
        client.publishEvent("pubsub", "orders", "first").block();
        client.publishEvent("pubsub", "orders", "second").block();
        assertThat(
                List.of(received.poll(20, TimeUnit.SECONDS), received.poll(20, TimeUnit.SECONDS)))
            .containsExactly("first", "second");
      } finally {
        if (server != null) {
          server.close();
        }
        if (embedded != null) {
          embedded.close();
        }
      }
    }
  }
}
