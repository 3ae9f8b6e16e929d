package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.grpc.DaprServiceDefinition;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.GrpcMethod;
import dev.pillion.server.spi.HttpReply;
import dev.pillion.server.spi.HttpRoute;
import io.dapr.v1.DaprBindingsProtos;
import io.dapr.v1.DaprGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server serves exactly what its API modules register: a module's route and gRPC method are
 * served, the API token is asked unless the route says otherwise, an unregistered path is a 404,
 * and a route or method two modules register is refused when the server is built, naming both.
 */
class ApiModuleRegistryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "registry-token";
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Pillion runtime;

  /** A method newer than the SDK's service: bytes in, the same bytes reversed out. */
  private static final MethodDescriptor<byte[], byte[]> ECHO =
      MethodDescriptor.newBuilder(bytes(), bytes())
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(
              MethodDescriptor.generateFullMethodName(
                  DaprServiceDefinition.GRPC_SERVICE, "PillionEchoAlpha1"))
          .build();

  private static MethodDescriptor.Marshaller<byte[]> bytes() {
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  /** Serves {@code GET /v1.0/greeting/{name}}, an open route, and the echo method. */
  private static final class GreetingApi implements ApiModule {
    @Override
    public String name() {
      return "greeting";
    }

    @Override
    public List<HttpRoute> httpRoutes() {
      return List.of(
          HttpRoute.create(
              "GET",
              "/v1.0/greeting/{name}",
              request ->
                  CompletableFuture.completedFuture(
                      HttpReply.of(
                          200,
                          ("hello " + request.pathParameter("name"))
                              .getBytes(StandardCharsets.UTF_8),
                          java.util.Map.of("Content-Type", "text/plain")))),
          HttpRoute.create(
                  "GET",
                  "/v1.0/greeting-open",
                  request -> CompletableFuture.completedFuture(HttpReply.empty(204)))
              .withoutApiToken());
    }

    @Override
    public List<GrpcMethod> grpcMethods() {
      return List.of(
          GrpcMethod.unary(
              ECHO,
              request -> {
                byte[] reversed = new byte[request.length];
                for (int i = 0; i < request.length; i++) {
                  reversed[i] = request[request.length - 1 - i];
                }
                return CompletableFuture.completedFuture(reversed);
              }));
    }
  }

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("registry")
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .build();
  }

  @AfterEach
  void stop() {
    runtime.close();
  }

  private HttpResponse<String> get(PillionServer server, String path, boolean withToken)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .timeout(Duration.ofSeconds(30))
            .GET();
    if (withToken) {
      request.header("dapr-api-token", TOKEN);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aModulesRoutesAndMethodsAreServedAndNothingElse() throws Exception {
    try (PillionServer server =
        PillionServer.builder()
            .runtime(runtime)
            .httpPort(0)
            .grpcPort(0)
            .apiToken(TOKEN)
            .apiModule(context -> new GreetingApi())
            .build()
            .start()) {
      HttpResponse<String> greeting = get(server, "/v1.0/greeting/ada", true);
      assertThat(greeting.statusCode()).isEqualTo(200);
      assertThat(greeting.body()).isEqualTo("hello ada");
      assertThat(get(server, "/v1.0/greeting/ada", false).statusCode()).isEqualTo(401);
      assertThat(get(server, "/v1.0/greeting-open", false).statusCode()).isEqualTo(204);
      // Not registered: a path the module does not serve, and a method the route does not take.
      HttpResponse<String> unregistered = get(server, "/v1.0/greeting/ada/more", true);
      assertThat(unregistered.statusCode()).isEqualTo(404);
      JsonNode body = JSON.readTree(unregistered.body());
      assertThat(body.path("errorCode").asText()).isEqualTo("ERR_NOT_FOUND");
      assertThat(body.path("message").asText())
          .isEqualTo("no route for GET /v1.0/greeting/ada/more");
      HttpResponse<String> wrongMethod =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + server.httpPort() + "/v1.0/greeting/ada"))
                  .header("dapr-api-token", TOKEN)
                  .DELETE()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(wrongMethod.statusCode()).isEqualTo(404);

      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
      try {
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(
            io.grpc.Metadata.Key.of("dapr-api-token", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
            TOKEN);
        byte[] echoed =
            ClientCalls.blockingUnaryCall(
                ClientInterceptors.intercept(
                    channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
                ECHO,
                CallOptions.DEFAULT,
                "abc".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(echoed, StandardCharsets.UTF_8)).isEqualTo("cba");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void theRegistryDecidesWhatTheGrpcServiceImplements() {
    DaprApi api = DaprApi.builder().runtime(runtime).module(context -> new GreetingApi()).build();
    assertThat(api.grpcMethodOwners()).containsEntry("PillionEchoAlpha1", "greeting");
    assertThat(api.grpcMethodOwners()).containsEntry("GetState", "state");
    assertThat(api.grpcMethodOwners()).containsEntry("GetSecret", "secrets");
    assertThat(api.grpcMethodOwners()).containsEntry("InvokeBinding", "unimplemented");
    assertThat(api.grpcService().getMethod(ECHO.getFullMethodName())).isNotNull();
    assertThat(api.modules().get(api.modules().size() - 1).name()).isEqualTo("unimplemented");
  }

  /** A module serving Dapr's bindings API, which Pillion lacks: InvokeBinding and POST only. */
  private static ApiModule bindings(String name) {
    return new ApiModule() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<HttpRoute> httpRoutes() {
        return List.of(
            HttpRoute.create(
                "POST",
                "/v1.0/bindings/{name}",
                request -> CompletableFuture.completedFuture(HttpReply.empty(204))));
      }

      @Override
      public List<GrpcMethod> grpcMethods() {
        return List.of(
            GrpcMethod.unary(
                DaprGrpc.getInvokeBindingMethod(),
                request ->
                    CompletableFuture.completedFuture(
                        DaprBindingsProtos.InvokeBindingResponse.getDefaultInstance())));
      }
    };
  }

  @Test
  void aMethodTwoModulesServeIsRefusedNamingBoth() {
    ApiModule first = bindings("bindings");
    ApiModule second =
        new ApiModule() {
          @Override
          public String name() {
            return "bindings-again";
          }

          @Override
          public List<GrpcMethod> grpcMethods() {
            return first.grpcMethods();
          }
        };
    assertThatThrownBy(
            () ->
                DaprApi.builder()
                    .runtime(runtime)
                    .module(context -> first)
                    .module(context -> second)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "the gRPC method dapr.proto.runtime.v1.Dapr/InvokeBinding of API module"
                + " 'bindings-again' is already served by API module 'bindings'");
  }

  @Test
  void aRouteTwoModulesServeIsRefusedNamingBoth() {
    ApiModule first = bindings("bindings");
    ApiModule second =
        new ApiModule() {
          @Override
          public String name() {
            return "bindings-again";
          }

          @Override
          public List<HttpRoute> httpRoutes() {
            return first.httpRoutes();
          }
        };
    assertThatThrownBy(
            () ->
                PillionServer.builder()
                    .runtime(runtime)
                    .httpPort(0)
                    .grpcPort(0)
                    .apiModule(context -> first)
                    .apiModule(context -> second)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "the HTTP route POST /v1.0/bindings/{name} of API module 'bindings-again' is already"
                + " served by API module 'bindings' (POST /v1.0/bindings/{name})");
  }

  @Test
  void aModuleServingAnApiPillionLacksTakesItsRowsOutOfTheUnimplementedTable() throws Exception {
    DaprApi api =
        DaprApi.builder().runtime(runtime).module(context -> bindings("bindings")).build();
    assertThat(api.grpcMethodOwners()).containsEntry("InvokeBinding", "bindings");
    try (PillionServer server =
        PillionServer.builder()
            .runtime(runtime)
            .httpPort(0)
            .grpcPort(0)
            .apiModule(context -> bindings("bindings"))
            .build()
            .start()) {
      URI binding = URI.create("http://127.0.0.1:" + server.httpPort() + "/v1.0/bindings/queue");
      HttpResponse<String> served =
          http.send(
              HttpRequest.newBuilder(binding)
                  .POST(HttpRequest.BodyPublishers.ofString("{}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(served.statusCode()).as("the module's route").isEqualTo(204);
      HttpResponse<String> notServed =
          http.send(
              HttpRequest.newBuilder(binding)
                  .PUT(HttpRequest.BodyPublishers.ofString("{}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(notServed.statusCode())
          .as("the method the module leaves out is still the table's")
          .isEqualTo(501);
      assertThat(JSON.readTree(notServed.body()).path("message").asText())
          .isEqualTo("the bindings API is not implemented by Pillion");
    }
  }
}
