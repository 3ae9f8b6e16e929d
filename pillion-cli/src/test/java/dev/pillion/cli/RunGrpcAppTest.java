package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.dapr.v1.AppCallbackGrpc;
import io.dapr.v1.CommonProtos;
import io.dapr.v1.DaprAppCallbackProtos.ListTopicSubscriptionsResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventRequest;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicRoutes;
import io.dapr.v1.DaprAppCallbackProtos.TopicSubscription;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pillion run --app-protocol grpc}: the runtime reads a gRPC app's subscriptions with {@code
 * ListTopicSubscriptions}, delivers a published event with {@code OnTopicEvent} and passes an
 * invocation of the app through its HTTP API to {@code OnInvoke}.
 */
class RunGrpcAppTest {
  @TempDir Path dir;

  private final BlockingQueue<TopicEventRequest> events = new LinkedBlockingQueue<>();

  private final class App extends AppCallbackGrpc.AppCallbackImplBase {
    @Override
    public void listTopicSubscriptions(
        Empty request, StreamObserver<ListTopicSubscriptionsResponse> answer) {
      answer.onNext(
          ListTopicSubscriptionsResponse.newBuilder()
              .addSubscriptions(
                  TopicSubscription.newBuilder()
                      .setPubsubName("pubsub")
                      .setTopic("orders")
                      .setRoutes(TopicRoutes.newBuilder().setDefault("/orders")))
              .build());
      answer.onCompleted();
    }

    @Override
    public void onTopicEvent(TopicEventRequest request, StreamObserver<TopicEventResponse> answer) {
      events.add(request);
      answer.onNext(TopicEventResponse.getDefaultInstance());
      answer.onCompleted();
    }

    @Override
    public void onInvoke(
        CommonProtos.InvokeRequest request, StreamObserver<CommonProtos.InvokeResponse> answer) {
      answer.onNext(
          CommonProtos.InvokeResponse.newBuilder()
              .setContentType("text/plain")
              .setData(
                  Any.newBuilder()
                      .setValue(ByteString.copyFromUtf8("grpc app: " + request.getMethod())))
              .build());
      answer.onCompleted();
    }
  }

  @Test
  void aGrpcAppGetsEventsAndInvocations() throws Exception {
    Server app =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(new App())
            .build()
            .start();
    Path resources = Files.createDirectories(dir.resolve("resources"));
    Files.writeString(
        resources.resolve("pubsub.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
            + "spec:\n  type: pubsub.in-memory\n  version: v1\n");
    Files.writeString(
        resources.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: registry\nspec:\n"
            + "  nameResolution:\n    component: local\n    configuration:\n      directory: "
            + dir.resolve("registry")
            + "\n");
    int httpPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      httpPort = socket.getLocalPort();
    }
    StringWriter out = new StringWriter();
    CommandLine cli = PillionCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(out, true));
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    String[] args = {
      "run",
      "--app-id",
      "grpc-app",
      "-H",
      Integer.toString(httpPort),
      "-G",
      "0",
      "-d",
      resources.toString(),
      "--app-port",
      Integer.toString(app.getPort()),
      "--app-protocol",
      "grpc"
    };
    Thread run = new Thread(() -> exit.complete(cli.execute(args)), "pillion-run-grpc-app");
    run.setDaemon(true);
    run.start();
    HttpClient http = HttpClient.newHttpClient();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!out.toString().contains("delivering 1 subscription(s)")
          && System.nanoTime() < deadline
          && !exit.isDone()) {
        Thread.sleep(20);
      }
      assertThat(out.toString()).contains("delivering 1 subscription(s)");

      HttpResponse<String> published =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + httpPort + "/v1.0/publish/pubsub/orders"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"id\":1}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(published.statusCode()).isEqualTo(204);
      TopicEventRequest event = events.poll(20, TimeUnit.SECONDS);
      assertThat(event).as(out.toString()).isNotNull();
      assertThat(event.getPath()).isEqualTo("/orders");
      assertThat(event.getData().toStringUtf8()).isEqualTo("{\"id\":1}");

      HttpResponse<String> invoked =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + httpPort + "/v1.0/invoke/grpc-app/method/hello"))
                  .timeout(Duration.ofSeconds(20))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(invoked.statusCode()).as(invoked.body()).isEqualTo(200);
      assertThat(invoked.body()).isEqualTo("grpc app: hello");
    } finally {
      http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1.0/shutdown"))
              .POST(HttpRequest.BodyPublishers.noBody())
              .build(),
          HttpResponse.BodyHandlers.discarding());
      assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
      app.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
