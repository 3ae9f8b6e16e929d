package dev.pillion.server.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.pillion.Pillion;
import dev.pillion.server.PillionServer;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.DaprHttp;
import io.dapr.client.domain.HttpExtension;
import io.dapr.config.Properties;
import io.dapr.exceptions.DaprException;
import io.dapr.v1.CommonProtos.HTTPExtension;
import io.dapr.v1.CommonProtos.InvokeRequest;
import io.dapr.v1.CommonProtos.InvokeResponse;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprInvokeProtos.InvokeServiceRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runtimes in one JVM, each in front of its own HTTP app, find each other by app id through a
 * same-machine registry in a temporary directory and invoke each other over Dapr's internal
 * protocol (they stay out of the in-process registry, so every call crosses the internal endpoint),
 * driven by the official Java SDK's {@code invokeMethod}, raw HTTP and gRPC {@code InvokeService}.
 */
class ServiceInvocationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "caller-secret-token";
  private static final int MAX_BODY = 64 * 1024;

  @TempDir static Path resources;

  private static EchoApp callerApp;
  private static EchoApp calleeApp;
  private static Pillion callerRuntime;
  private static Pillion calleeRuntime;
  private static PillionServer caller;
  private static PillionServer callee;
  private static DaprClient client;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(
        resources.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\n"
            + "kind: Configuration\n"
            + "metadata:\n"
            + "  name: invocation-test\n"
            + "spec:\n"
            + "  nameResolution:\n"
            + "    component: local\n"
            + "    configuration:\n"
            + "      directory: "
            + resources.resolve("registry")
            + "\n");
    callerApp = EchoApp.start("caller-app");
    calleeApp = EchoApp.start("callee-app");
    callerRuntime = runtime("caller");
    calleeRuntime = runtime("callee");
    caller = server(callerRuntime, callerApp.port()).apiToken(TOKEN).build().start();
    callee = server(calleeRuntime, calleeApp.port()).build().start();
    client =
        new DaprClientBuilder()
            .withPropertyOverride(Properties.HTTP_ENDPOINT, "http://127.0.0.1:" + caller.httpPort())
            .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + caller.grpcPort())
            .withPropertyOverride(Properties.API_TOKEN, TOKEN)
            .build();
  }

  static Pillion runtime(String appId) {
    return Pillion.builder()
        .appId(appId)
        .resourcesPath(resources)
        .inProcessInvocation(false)
        .build();
  }

  static PillionServer.Builder server(Pillion runtime, int appPort) {
    return PillionServer.builder()
        .runtime(runtime)
        .closeRuntime(true)
        .httpPort(0)
        .grpcPort(0)
        .maxBodyBytes(MAX_BODY)
        .appPort(appPort);
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    caller.close();
    callee.close();
    callerApp.close();
    calleeApp.close();
  }

  private static JsonNode echo(byte[] answer) throws Exception {
    return JSON.readTree(answer);
  }

  @Test
  void sdkInvokesEveryVerbWithQueryHeadersAndBody() throws Exception {
    for (DaprHttp.HttpMethods verb :
        List.of(
            DaprHttp.HttpMethods.GET,
            DaprHttp.HttpMethods.POST,
            DaprHttp.HttpMethods.PUT,
            DaprHttp.HttpMethods.DELETE)) {
      // The SDK sends no body with GET and DELETE.
      byte[] body =
          verb == DaprHttp.HttpMethods.GET || verb == DaprHttp.HttpMethods.DELETE
              ? new byte[0]
              : ("{\"verb\":\"" + verb + "\"}").getBytes(StandardCharsets.UTF_8);
      HttpExtension extension =
          new HttpExtension(
              verb,
              Map.of("q", List.of("a b", "c"), "n", List.of("1")),
              Map.of("x-request-header", "value-" + verb));
      JsonNode echo =
          echo(
              client
                  .invokeMethod(
                      "callee", "orders/42", body, extension, Map.of("x-metadata", "meta"))
                  .block(Duration.ofSeconds(30)));
      assertThat(echo.path("app").asText()).isEqualTo("callee-app");
      assertThat(echo.path("verb").asText()).isEqualTo(verb.name());
      assertThat(echo.path("path").asText()).isEqualTo("/orders/42");
      assertThat(echo.path("query").asText()).contains("q=a", "q=c", "n=1");
      JsonNode headers = echo.path("headers");
      assertThat(headers.path("x-request-header").asText()).isEqualTo("value-" + verb);
      assertThat(headers.path("x-metadata").asText()).isEqualTo("meta");
      assertThat(headers.path("dapr-caller-app-id").asText()).isEqualTo("caller");
      assertThat(headers.path("dapr-callee-app-id").asText()).isEqualTo("callee");
      // The API token authorises the call to the caller's runtime; it never reaches another app.
      assertThat(headers.has("dapr-api-token")).isFalse();
      assertThat(echo.path("body").asText()).isEqualTo(new String(body, StandardCharsets.UTF_8));
    }
  }

  @Test
  void rawHttpPassesQueryHeadersStatusAndResponseHeadersThrough() throws Exception {
    HttpResponse<String> response =
        send(
            HttpRequest.newBuilder(
                    uri(caller, "/v1.0/invoke/callee/method/a%20b/c?x=%2F1&x=2&empty="))
                .header("dapr-api-token", TOKEN)
                .header("x-multi", "one")
                .header("content-type", "application/vnd.test+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("patch-body")));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-served-by")).contains("callee-app");
    assertThat(response.headers().allValues("set-cookie")).containsExactly("a=1", "b=2");
    assertThat(response.headers().firstValue("content-type")).contains("application/json");
    JsonNode echo = JSON.readTree(response.body());
    assertThat(echo.path("verb").asText()).isEqualTo("PATCH");
    assertThat(echo.path("path").asText()).isEqualTo("/a%20b/c");
    assertThat(echo.path("query").asText()).isEqualTo("x=%2F1&x=2&empty=");
    assertThat(echo.path("headers").path("content-type").asText())
        .isEqualTo("application/vnd.test+json");
    assertThat(echo.path("body").asText()).isEqualTo("patch-body");

    HttpResponse<String> teapot =
        send(
            HttpRequest.newBuilder(uri(caller, "/v1.0/invoke/callee/method/status/418"))
                .header("dapr-api-token", TOKEN)
                .GET());
    assertThat(teapot.statusCode()).isEqualTo(418);
    assertThat(teapot.body()).isEqualTo("status 418 from callee-app");
    assertThat(teapot.headers().firstValue("content-type")).contains("text/plain");
  }

  @Test
  void sdkSeesTheAppsErrorStatus() {
    assertThatThrownBy(
            () ->
                client
                    .invokeMethod("callee", "status/404", new byte[0], HttpExtension.GET, Map.of())
                    .block(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getHttpStatusCode()).isEqualTo(404);
              assertThat(new String(e.getPayload(), StandardCharsets.UTF_8))
                  .isEqualTo("status 404 from callee-app");
            });
    assertThatThrownBy(
            () ->
                client
                    .invokeMethod("callee", "status/503", new byte[0], HttpExtension.POST, Map.of())
                    .block(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            DaprException.class, e -> assertThat(e.getHttpStatusCode()).isEqualTo(503));
  }

  @Test
  void theHeaderFormAndTheNamespaceFormReachTheApp() throws Exception {
    HttpResponse<String> byHeader =
        send(
            HttpRequest.newBuilder(uri(callee, "/orders/7?full=1"))
                .header("dapr-app-id", "caller")
                .GET());
    assertThat(byHeader.statusCode()).isEqualTo(200);
    JsonNode echo = JSON.readTree(byHeader.body());
    assertThat(echo.path("app").asText()).isEqualTo("caller-app");
    assertThat(echo.path("path").asText()).isEqualTo("/orders/7");
    assertThat(echo.path("query").asText()).isEqualTo("full=1");
    assertThat(echo.path("headers").has("dapr-app-id")).isFalse();

    HttpResponse<String> byNamespace =
        send(HttpRequest.newBuilder(uri(callee, "/v1.0/invoke/caller.default/method/x")).GET());
    assertThat(JSON.readTree(byNamespace.body()).path("app").asText()).isEqualTo("caller-app");
    HttpResponse<String> otherNamespace =
        send(HttpRequest.newBuilder(uri(callee, "/v1.0/invoke/caller.other/method/x")).GET());
    assertThat(otherNamespace.statusCode()).isEqualTo(500);
    assertThat(JSON.readTree(otherNamespace.body()).path("errorCode").asText())
        .isEqualTo("ERR_DIRECT_INVOKE");
  }

  @Test
  void grpcInvokeServiceCarriesVerbQueryAndContentType() throws Exception {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", callee.grpcPort()).usePlaintext().build();
    try {
      DaprGrpc.DaprBlockingStub stub = DaprGrpc.newBlockingStub(channel);
      InvokeResponse response =
          stub.invokeService(
              InvokeServiceRequest.newBuilder()
                  .setId("caller")
                  .setMessage(
                      InvokeRequest.newBuilder()
                          .setMethod("grpc/path")
                          .setContentType("text/plain")
                          .setData(Any.newBuilder().setValue(ByteString.copyFromUtf8("hi")))
                          .setHttpExtension(
                              HTTPExtension.newBuilder()
                                  .setVerb(HTTPExtension.Verb.PUT)
                                  .setQuerystring("k=v")))
                  .build());
      assertThat(response.getContentType()).isEqualTo("application/json");
      JsonNode echo = JSON.readTree(response.getData().getValue().toByteArray());
      assertThat(echo.path("verb").asText()).isEqualTo("PUT");
      assertThat(echo.path("path").asText()).isEqualTo("/grpc/path");
      assertThat(echo.path("query").asText()).isEqualTo("k=v");
      assertThat(echo.path("headers").path("content-type").asText()).isEqualTo("text/plain");
      assertThat(echo.path("body").asText()).isEqualTo("hi");

      assertThatThrownBy(
              () ->
                  stub.invokeService(
                      InvokeServiceRequest.newBuilder()
                          .setId("caller")
                          .setMessage(InvokeRequest.newBuilder().setMethod("status/404"))
                          .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                assertThat(e.getStatus().getDescription()).contains("status 404 from caller-app");
              });
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void badInputGetsClearErrorsAndTheRuntimeKeepsServing() throws Exception {
    JsonNode unknown = answer(caller, "/v1.0/invoke/nobody/method/x", 500);
    assertThat(unknown.path("errorCode").asText()).isEqualTo("ERR_DIRECT_INVOKE");
    assertThat(unknown.path("message").asText())
        .startsWith("failed to invoke, id: nobody, err: ")
        .contains("nobody");

    JsonNode noMethod = answer(caller, "/v1.0/invoke/callee/method/", 400);
    assertThat(noMethod.path("errorCode").asText()).isEqualTo("ERR_DIRECT_INVOKE");
    assertThat(noMethod.path("message").asText()).startsWith("invalid method name");
    JsonNode escaping = answer(caller, "/v1.0/invoke/callee/method/a/%2E%2E/admin", 400);
    assertThat(escaping.path("message").asText()).contains("'..' segment");
    JsonNode badAppId = answer(caller, "/v1.0/invoke/a.b.c/method/x", 400);
    assertThat(badAppId.path("message").asText()).contains("failed to invoke, id: a.b.c");
    JsonNode noAppId = answer(caller, "/v1.0/invoke/callee", 404);
    assertThat(noAppId.path("message").asText())
        .isEqualTo("failed getting app id either from the URL path or the header dapr-app-id");

    HttpResponse<String> oversized =
        send(
            HttpRequest.newBuilder(uri(caller, "/v1.0/invoke/callee/method/big"))
                .header("dapr-api-token", TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[MAX_BODY + 1])));
    assertThat(oversized.statusCode()).isEqualTo(413);

    HttpResponse<String> noToken =
        send(HttpRequest.newBuilder(uri(caller, "/v1.0/invoke/callee/method/x")).GET());
    assertThat(noToken.statusCode()).isEqualTo(401);

    // Still serving: a normal call right after the refused ones.
    HttpResponse<String> fine =
        send(
            HttpRequest.newBuilder(uri(caller, "/v1.0/invoke/callee/method/still/here"))
                .header("dapr-api-token", TOKEN)
                .GET());
    assertThat(fine.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(fine.body()).path("path").asText()).isEqualTo("/still/here");
  }

  @Test
  void aTargetWhoseAppIsDownAndARuntimeThatLeftAreReported() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (PillionServer sleeper = server(runtime("sleeper"), closedPort).build().start()) {
      JsonNode down = answer(callee, "/v1.0/invoke/sleeper/method/wake", 500);
      assertThat(down.path("errorCode").asText()).isEqualTo("ERR_DIRECT_INVOKE");
      assertThat(down.path("message").asText())
          .startsWith("failed to invoke, id: sleeper, err: ")
          .contains("does not accept connections on port " + closedPort);
      assertThat(sleeper.httpPort()).isPositive();
    }
    // Closed: its registration is withdrawn, so it is no longer found.
    JsonNode gone = answer(callee, "/v1.0/invoke/sleeper/method/wake", 500);
    assertThat(gone.path("message").asText()).contains("no running instance");
  }

  @Test
  void callsSpreadOverEveryInstanceOfAnAppIdAndSkipOneThatLeft() throws Exception {
    List<EchoApp> apps = List.of(EchoApp.start("r0"), EchoApp.start("r1"), EchoApp.start("r2"));
    List<PillionServer> replicas = new java.util.ArrayList<>();
    try {
      for (EchoApp app : apps) {
        replicas.add(server(runtime("replicated"), app.port()).build().start());
      }
      java.util.Set<String> served = new java.util.HashSet<>();
      for (int i = 0; i < 12; i++) {
        served.add(answer(callee, "/v1.0/invoke/replicated/method/who", 200).path("app").asText());
      }
      assertThat(served).containsExactlyInAnyOrder("r0", "r1", "r2");

      replicas.remove(0).close();
      java.util.Set<String> after = new java.util.HashSet<>();
      for (int i = 0; i < 12; i++) {
        after.add(answer(callee, "/v1.0/invoke/replicated/method/who", 200).path("app").asText());
      }
      assertThat(after).containsExactlyInAnyOrder("r1", "r2");
    } finally {
      replicas.forEach(PillionServer::close);
      apps.forEach(EchoApp::close);
    }
  }

  private static JsonNode answer(PillionServer server, String path, int status) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(server, path)).GET();
    if (server == caller) {
      request.header("dapr-api-token", TOKEN);
    }
    HttpResponse<String> response = send(request);
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(status);
    return JSON.readTree(response.body());
  }

  private static URI uri(PillionServer server, String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(
        request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
