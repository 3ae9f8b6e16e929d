package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.PublishRequest;
import io.dapr.v1.DaprAppCallbackProtos;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprPubsubProtos;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A streaming subscription ({@code SubscribeTopicEventsAlpha1}) whose metadata says {@code
 * rawPayload}: as in daprd, each event is the message as published, wrapped as daprd wraps raw
 * payloads; a value that is not a boolean ends the stream with INVALID_ARGUMENT.
 */
class StreamingRawPayloadTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1 initial(String rawPayload) {
    return DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1.newBuilder()
        .setInitialRequest(
            DaprPubsubProtos.SubscribeTopicEventsRequestInitialAlpha1.newBuilder()
                .setPubsubName("pubsub")
                .setTopic("orders")
                .putMetadata("rawPayload", rawPayload))
        .build();
  }

  @Test
  void aRawPayloadStreamGetsTheMessageAsPublished() throws Exception {
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
                .gracePeriod(java.time.Duration.ofMillis(500))
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
        requests.onNext(initial("true"));
        assertThat(received.poll(10, TimeUnit.SECONDS))
            .isInstanceOf(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.class);
        runtime
            .pubsub("pubsub")
            .publish(
                PublishRequest.builder("orders", "{\"order\":1}")
                    .contentType("application/json")
                    .build());
        Object next = received.poll(10, TimeUnit.SECONDS);
        assertThat(next).isInstanceOf(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.class);
        DaprAppCallbackProtos.TopicEventRequest event =
            ((DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1) next).getEventMessage();
        assertThat(event.getDataContentType()).isEqualTo("application/octet-stream");
        assertThat(event.getSource()).isEqualTo("Dapr");
        assertThat(JSON.readTree(event.getData().toByteArray()).path("data").path("order").asInt())
            .as("the whole published envelope is the data")
            .isEqualTo(1);
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

        BlockingQueue<Object> refused = new LinkedBlockingQueue<>();
        StreamObserver<DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1> bad =
            DaprGrpc.newStub(channel)
                .subscribeTopicEventsAlpha1(
                    new StreamObserver<>() {
                      @Override
                      public void onNext(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1 r) {
                        refused.add(r);
                      }

                      @Override
                      public void onError(Throwable t) {
                        refused.add(t);
                      }

                      @Override
                      public void onCompleted() {}
                    });
        bad.onNext(initial("sometimes"));
        Object error = refused.poll(10, TimeUnit.SECONDS);
        assertThat(error).isInstanceOf(Throwable.class);
        Status status = Status.fromThrowable((Throwable) error);
        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription())
            .contains("metadata.rawPayload must be true or false, got 'sometimes'");
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
