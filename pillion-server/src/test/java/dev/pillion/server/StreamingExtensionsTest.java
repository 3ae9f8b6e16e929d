package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.PublishRequest;
import io.dapr.v1.DaprAppCallbackProtos;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprPubsubProtos;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A streaming subscription ({@code SubscribeTopicEventsAlpha1}) gets the CloudEvent's other
 * attributes in {@code extensions}, typed, as daprd's streamer sends them (the same request an
 * app's {@code OnTopicEvent} gets).
 */
class StreamingExtensionsTest {
  @Test
  void aStreamedEventCarriesTheEnvelopesExtensions() throws Exception {
    try (Pillion runtime =
            Pillion.builder()
                .appId("streamer")
                .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
                .build();
        PillionServer server =
            PillionServer.builder()
                .runtime(runtime)
                .httpPort(0)
                .grpcPort(0)
                .gracePeriod(Duration.ofMillis(500))
                .build()
                .start()) {
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
      try {
        BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        StreamObserver<DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1> requests =
            DaprGrpc.newStub(channel)
                .subscribeTopicEventsAlpha1(
                    new StreamObserver<>() {
                      @Override
                      public void onNext(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1 r) {
                        received.add(r);
                      }

                      @Override
                      public void onError(Throwable t) {
                        received.add(t);
                      }

                      @Override
                      public void onCompleted() {}
                    });
        requests.onNext(
            DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1.newBuilder()
                .setInitialRequest(
                    DaprPubsubProtos.SubscribeTopicEventsRequestInitialAlpha1.newBuilder()
                        .setPubsubName("pubsub")
                        .setTopic("orders"))
                .build());
        assertThat(received.poll(10, TimeUnit.SECONDS))
            .isInstanceOf(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.class);
        runtime
            .pubsub("pubsub")
            .publish(
                PublishRequest.builder(
                        "orders",
                        "{\"specversion\":\"1.0\",\"id\":\"e1\",\"source\":\"s\",\"type\":\"t\","
                            + "\"datacontenttype\":\"application/json\",\"data\":{\"order\":1},"
                            + "\"priority\":3,\"region\":\"eu\"}")
                    .contentType("application/cloudevents+json")
                    .build());
        Object next = received.poll(10, TimeUnit.SECONDS);
        assertThat(next).isInstanceOf(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.class);
        DaprAppCallbackProtos.TopicEventRequest event =
            ((DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1) next).getEventMessage();
        assertThat(event.getId()).isEqualTo("e1");
        assertThat(event.getData().toStringUtf8()).isEqualTo("{\"order\":1}");
        assertThat(event.getExtensions().getFieldsMap())
            .containsEntry("priority", Value.newBuilder().setNumberValue(3).build())
            .containsEntry("region", Value.newBuilder().setStringValue("eu").build())
            .doesNotContainKeys("id", "data", "specversion");
        requests.onNext(
            DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1.newBuilder()
                .setEventProcessed(
                    DaprPubsubProtos.SubscribeTopicEventsRequestProcessedAlpha1.newBuilder()
                        .setId(event.getId())
                        .setStatus(
                            DaprAppCallbackProtos.TopicEventResponse.newBuilder()
                                .setStatus(
                                    DaprAppCallbackProtos.TopicEventResponse
                                        .TopicEventResponseStatus.SUCCESS)))
                .build());
        requests.onCompleted();
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
