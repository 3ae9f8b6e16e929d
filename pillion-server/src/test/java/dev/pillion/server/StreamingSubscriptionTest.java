package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Value;
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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Streaming subscriptions ({@code SubscribeTopicEventsAlpha1}): each event is the request an app's
 * {@code OnTopicEvent} gets, the CloudEvent's other attributes typed in {@code extensions}, as
 * daprd's streamer sends them; with {@code rawPayload} metadata, the message as published, wrapped
 * as daprd wraps raw payloads; a {@code rawPayload} that is not a boolean ends the stream with
 * INVALID_ARGUMENT.
 */
class StreamingSubscriptionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Pillion runtime;
  private PillionServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("streamer")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    server =
        PillionServer.builder()
            .runtime(runtime)
            .httpPort(0)
            .grpcPort(0)
            .gracePeriod(Duration.ofMillis(500))
            .build()
            .start();
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
    runtime.close();
  }

  /** A stream on topic {@code orders}: what the server sends, and where to send requests. */
  private record Stream(
      BlockingQueue<Object> received,
      StreamObserver<DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1> requests) {

    /** The next event, after the stream's first (empty) answer was taken. */
    DaprAppCallbackProtos.TopicEventRequest nextEvent() throws InterruptedException {
      Object next = received.poll(10, TimeUnit.SECONDS);
      assertThat(next).isInstanceOf(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.class);
      return ((DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1) next).getEventMessage();
    }

    /** Tells the server the event succeeded and ends the stream. */
    void succeedAndClose(DaprAppCallbackProtos.TopicEventRequest event) {
      requests.onNext(
          DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1.newBuilder()
              .setEventProcessed(
                  DaprPubsubProtos.SubscribeTopicEventsRequestProcessedAlpha1.newBuilder()
                      .setId(event.getId())
                      .setStatus(
                          DaprAppCallbackProtos.TopicEventResponse.newBuilder()
                              .setStatus(
                                  DaprAppCallbackProtos.TopicEventResponse.TopicEventResponseStatus
                                      .SUCCESS)))
              .build());
      requests.onCompleted();
    }
  }

  /** Opens a stream on {@code orders} with the given metadata and sends its initial request. */
  private Stream open(Map<String, String> metadata) {
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
                    .setTopic("orders")
                    .putAllMetadata(metadata))
            .build());
    return new Stream(received, requests);
  }

  /** Opens a stream and waits for the server's first answer, which says it is listening. */
  private Stream listening(Map<String, String> metadata) throws InterruptedException {
    Stream stream = open(metadata);
    assertThat(stream.received().poll(10, TimeUnit.SECONDS))
        .isInstanceOf(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.class);
    return stream;
  }

  @Test
  void aStreamedEventCarriesTheEnvelopesExtensions() throws Exception {
    Stream stream = listening(Map.of());
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

    DaprAppCallbackProtos.TopicEventRequest event = stream.nextEvent();

    assertThat(event.getId()).isEqualTo("e1");
    assertThat(event.getData().toStringUtf8()).isEqualTo("{\"order\":1}");
    assertThat(event.getExtensions().getFieldsMap())
        .containsEntry("priority", Value.newBuilder().setNumberValue(3).build())
        .containsEntry("region", Value.newBuilder().setStringValue("eu").build())
        .doesNotContainKeys("id", "data", "specversion");
    stream.succeedAndClose(event);
  }

  @Test
  void aRawPayloadStreamGetsTheMessageAsPublished() throws Exception {
    Stream stream = listening(Map.of("rawPayload", "true"));
    runtime
        .pubsub("pubsub")
        .publish(
            PublishRequest.builder("orders", "{\"order\":1}")
                .contentType("application/json")
                .build());

    DaprAppCallbackProtos.TopicEventRequest event = stream.nextEvent();

    assertThat(event.getDataContentType()).isEqualTo("application/octet-stream");
    assertThat(event.getSource()).isEqualTo("Dapr");
    assertThat(JSON.readTree(event.getData().toByteArray()).path("data").path("order").asInt())
        .as("the whole published envelope is the data")
        .isEqualTo(1);
    stream.succeedAndClose(event);
  }

  @Test
  void aRawPayloadThatIsNotABooleanEndsTheStream() throws Exception {
    Stream refused = open(Map.of("rawPayload", "sometimes"));

    Object error = refused.received().poll(10, TimeUnit.SECONDS);

    assertThat(error).isInstanceOf(Throwable.class);
    Status status = Status.fromThrowable((Throwable) error);
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription())
        .contains("metadata.rawPayload must be true or false, got 'sometimes'");
  }
}
