package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprPubsubProtos;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A publish is mapped once for both protocols: the same data published over HTTP and over gRPC,
 * each without a content type and with a W3C trace context where the protocol carries it (the
 * {@code traceparent} header, the {@code traceparent} call metadata), arrives as the same event.
 */
class PublishMappingTest {
  private static final String HTTP_TRACE =
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final String GRPC_TRACE =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final BlockingQueue<Event> received = new LinkedBlockingQueue<>();
  private Pillion runtime;
  private PillionServer server;
  private ManagedChannel channel;
  private Subscription subscription;

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("mapping")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    subscription =
        runtime
            .pubsub("pubsub")
            .subscribe(
                SubscriptionOptions.builder("orders").build(),
                event -> {
                  received.add(event);
                  return DeliveryResult.SUCCESS;
                });
  }

  @AfterEach
  void stop() throws Exception {
    subscription.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    runtime.close();
  }

  private Event publishOverHttp(String data) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + server.httpPort() + "/v1.0/publish/pubsub/orders"))
                .header("traceparent", HTTP_TRACE)
                .POST(HttpRequest.BodyPublishers.ofString(data))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(204);
    return next();
  }

  private Event publishOverGrpc(String data) throws Exception {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), GRPC_TRACE);
    DaprGrpc.newBlockingStub(
            ClientInterceptors.intercept(
                channel, MetadataUtils.newAttachHeadersInterceptor(headers)))
        .publishEvent(
            DaprPubsubProtos.PublishEventRequest.newBuilder()
                .setPubsubName("pubsub")
                .setTopic("orders")
                .setData(ByteString.copyFrom(data, StandardCharsets.UTF_8))
                .build());
    return next();
  }

  private Event next() throws InterruptedException {
    Event event = received.poll(20, TimeUnit.SECONDS);
    assertThat(event).as("the published event").isNotNull();
    return event;
  }

  @Test
  void grpcForwardsTheTraceContextAsHttpDoes() throws Exception {
    Event overHttp = publishOverHttp("{\"order\":1}");
    Event overGrpc = publishOverGrpc("{\"order\":1}");
    assertThat(overHttp.attribute("traceparent")).contains(HTTP_TRACE);
    assertThat(overGrpc.attribute("traceparent")).contains(GRPC_TRACE);
    // daprd's older name for it too, as over HTTP.
    assertThat(overHttp.attribute("traceid")).contains(HTTP_TRACE);
    assertThat(overGrpc.attribute("traceid")).contains(GRPC_TRACE);
  }

  @Test
  void aMissingContentTypeDefaultsAlikeOnBothProtocols() throws Exception {
    for (String data : new String[] {"{\"order\":2}", "plain text"}) {
      Event overHttp = publishOverHttp(data);
      Event overGrpc = publishOverGrpc(data);
      assertThat(overGrpc.dataContentType()).as(data).isEqualTo(overHttp.dataContentType());
      assertThat(overGrpc.dataAsString()).as(data).isEqualTo(overHttp.dataAsString());
    }
  }
}
