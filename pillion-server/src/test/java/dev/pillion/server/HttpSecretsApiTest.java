package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.abi.secretstores.BulkGetSecretRequest;
import dev.pillion.abi.secretstores.BulkGetSecretResponse;
import dev.pillion.abi.secretstores.GetSecretRequest;
import dev.pillion.abi.secretstores.GetSecretResponse;
import dev.pillion.abi.secretstores.SecretResponse;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.secrets.SecretNotFoundException;
import dev.pillion.secrets.SecretsException;
import dev.pillion.secrets.spi.SecretStoreComponent;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;
import io.dapr.exceptions.DaprException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP secrets API as daprd serves it: the JSON shapes of a get and a bulk get, {@code
 * metadata.*} query parameters passed to the component, and daprd's status, errorCode and message
 * for every failure (no store configured, unknown store, denied by scope, missing secret, a failing
 * component), over gRPC too where the status differs.
 */
class HttpSecretsApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final RecordingStore vault = new RecordingStore();
  @TempDir Path resources;
  private Pillion runtime;
  private PillionServer server;

  /** A Java secret store recording request metadata; "broken" fails as a backend would. */
  private static final class RecordingStore implements SecretStoreComponent {
    private static final Map<String, String> SECRETS =
        Map.of("a", "1", "denied", "2", "say\"hi", "3");
    final List<Map<String, String>> metadata = new CopyOnWriteArrayList<>();
    volatile boolean bulkFails;

    @Override
    public String name() {
      return "vault";
    }

    @Override
    public Set<String> features() {
      return Set.of();
    }

    @Override
    public GetSecretResponse getSecret(GetSecretRequest request) {
      metadata.add(request.getMetadataMap());
      String name = request.getName();
      if (name.equals("broken")) {
        throw new SecretsException("vault", "backend unavailable", null);
      }
      if (!SECRETS.containsKey(name)) {
        throw new SecretNotFoundException("vault", name, "secret " + name + " not found", null);
      }
      return GetSecretResponse.newBuilder().putData(name, SECRETS.get(name)).build();
    }

    @Override
    public BulkGetSecretResponse bulkGetSecret(BulkGetSecretRequest request) {
      metadata.add(request.getMetadataMap());
      if (bulkFails) {
        throw new SecretsException("vault", "backend unavailable", null);
      }
      BulkGetSecretResponse.Builder response = BulkGetSecretResponse.newBuilder();
      SECRETS.forEach(
          (name, value) ->
              response.putData(name, SecretResponse.newBuilder().putSecrets(name, value).build()));
      return response.build();
    }

    @Override
    public void close() {}
  }

  @BeforeEach
  void start() throws IOException {
    Files.writeString(
        resources.resolve("config.yaml"),
        """
        apiVersion: dapr.io/v1alpha1
        kind: Configuration
        metadata: {name: appconfig}
        spec:
          secrets:
            scopes:
            - {storeName: vault, defaultAccess: deny, allowedSecrets: [a, missing, broken]}
        """);
    runtime = Pillion.builder().resourcesPath(resources).secretStore("vault", vault).build();
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
    runtime.close();
  }

  private HttpResponse<String> get(PillionServer target, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.httpPort() + path))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(
      HttpResponse<String> response, int status, String errorCode, String message)
      throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("errorCode").asText()).isEqualTo(errorCode);
    assertThat(body.path("message").asText()).isEqualTo(message);
  }

  @Test
  void getAnswersTheSecretsKeysAndValues() throws Exception {
    HttpResponse<String> response = get(server, "/v1.0/secrets/vault/a");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree("{\"a\": \"1\"}"));
  }

  @Test
  void bulkGetAnswersEverySecretTheScopeAllowsByName() throws Exception {
    HttpResponse<String> response = get(server, "/v1.0/secrets/vault/bulk");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree("{\"a\": {\"a\": \"1\"}}"));
  }

  @Test
  void metadataQueryParametersReachTheComponent() throws Exception {
    get(server, "/v1.0/secrets/vault/a?metadata.version_id=2&other=x");
    get(server, "/v1.0/secrets/vault/bulk?metadata.namespace=prod");
    assertThat(vault.metadata)
        .containsExactly(Map.of("version_id", "2"), Map.of("namespace", "prod"));
  }

  @Test
  void anUnknownStoreIs401AsInDaprd() throws Exception {
    assertError(
        get(server, "/v1.0/secrets/other/a"),
        401,
        "ERR_SECRET_STORE_NOT_FOUND",
        "failed finding secret store with key other");
    assertError(
        get(server, "/v1.0/secrets/other/bulk"),
        401,
        "ERR_SECRET_STORE_NOT_FOUND",
        "failed finding secret store with key other");
  }

  @Test
  void aSecretTheScopeDeniesIs403WithGoQuoting() throws Exception {
    assertError(
        get(server, "/v1.0/secrets/vault/denied"),
        403,
        "ERR_PERMISSION_DENIED",
        "access denied by policy to get \"denied\" from \"vault\"");
    assertError(
        get(server, "/v1.0/secrets/vault/say%22hi"),
        403,
        "ERR_PERMISSION_DENIED",
        "access denied by policy to get \"say\\\"hi\" from \"vault\"");
    assertThat(vault.metadata).as("a denied secret is never asked for").isEmpty();
  }

  @Test
  void aMissingSecretIs500WithTheComponentsWords() throws Exception {
    assertError(
        get(server, "/v1.0/secrets/vault/missing"),
        500,
        "ERR_SECRET_GET",
        "failed getting secret with key missing from secret store vault: secret missing not"
            + " found");
  }

  @Test
  void aFailingComponentIs500NamingStoreAndSecret() throws Exception {
    assertError(
        get(server, "/v1.0/secrets/vault/broken"),
        500,
        "ERR_SECRET_GET",
        "failed getting secret with key broken from secret store vault: backend unavailable");
    vault.bulkFails = true;
    assertError(
        get(server, "/v1.0/secrets/vault/bulk"),
        500,
        "ERR_SECRET_GET",
        "failed getting secrets from secret store vault: backend unavailable");
  }

  @Test
  void withoutSecretStoresBothProtocolsAnswerNotConfigured() throws Exception {
    try (Pillion bare =
            Pillion.builder()
                .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
                .build();
        PillionServer bareServer =
            PillionServer.builder().runtime(bare).httpPort(0).grpcPort(0).build().start();
        DaprClient client =
            new DaprClientBuilder()
                .withPropertyOverride(
                    Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + bareServer.grpcPort())
                .build()) {
      assertError(
          get(bareServer, "/v1.0/secrets/vault/a"),
          500,
          "ERR_SECRET_STORES_NOT_CONFIGURED",
          "secret store is not configured");
      assertError(
          get(bareServer, "/v1.0/secrets/vault/bulk"),
          500,
          "ERR_SECRET_STORES_NOT_CONFIGURED",
          "secret store is not configured");
      assertThatThrownBy(() -> client.getSecret("vault", "a").block())
          .isInstanceOfSatisfying(
              DaprException.class,
              e -> {
                assertThat(e.getErrorCode()).isEqualTo("FAILED_PRECONDITION");
                assertThat(e.getMessage()).endsWith("secret store is not configured");
              });
      assertThatThrownBy(() -> client.getBulkSecret("vault").block())
          .isInstanceOfSatisfying(
              DaprException.class,
              e -> assertThat(e.getErrorCode()).isEqualTo("FAILED_PRECONDITION"));
    }
  }

  @Test
  void aFailingComponentIsInternalOverGrpc() throws Exception {
    try (DaprClient client =
        new DaprClientBuilder()
            .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort())
            .build()) {
      assertThatThrownBy(() -> client.getSecret("vault", "broken").block())
          .isInstanceOfSatisfying(
              DaprException.class,
              e -> {
                assertThat(e.getErrorCode()).isEqualTo("INTERNAL");
                assertThat(e.getMessage())
                    .endsWith(
                        "failed getting secret with key broken from secret store vault:"
                            + " backend unavailable");
              });
      assertThat(client.getSecret("vault", "a", Map.of("version_id", "3")).block())
          .containsExactly(Map.entry("a", "1"));
      assertThat(vault.metadata).contains(Map.of("version_id", "3"));
    }
  }
}
