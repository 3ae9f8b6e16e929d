package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.sdk.embedded.EmbeddedDapr;
import dev.pillion.secrets.SecretStore;
import dev.pillion.server.PillionServer;
import dev.pillion.state.StateStore;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/**
 * One runtime with the Wasm in-memory state store and the Wasm {@code secretstores.local.env}
 * secret store, reachable four ways: the embedded Java API, the Dapr SDK's client on the embedded
 * in-process channel, the Dapr SDK over loopback gRPC to the server, and plain HTTP to the server.
 */
final class ApiPaths implements AutoCloseable {
  static final String STORE = "statestore";
  static final String KEY = "key-100b";
  static final String SECRET_STORE = "envsecrets";
  static final String SECRET = "SECRET_100B";

  /** The environment the secret store serves (with its prefix), instead of the process's. */
  private static final String PREFIX = "BENCH_";

  final Pillion runtime;
  final PillionServer server;
  final EmbeddedDapr embedded;
  final DaprClient embeddedClient;
  final DaprClient grpcClient;
  final HttpClient http;
  final HttpRequest httpGet;
  final HttpRequest httpSecretGet;
  final StateStore store;
  final SecretStore secrets;

  ApiPaths() {
    runtime =
        Pillion.builder()
            .appId("bench")
            .component(ComponentDefinition.builder(STORE, "state.in-memory").build())
            .component(
                ComponentDefinition.builder(SECRET_STORE, "secretstores.local.env")
                    .metadata("prefix", PREFIX)
                    .build())
            .environment(Map.of(PREFIX + SECRET, "s".repeat(100)))
            .build();
    store = runtime.state(STORE);
    secrets = runtime.secrets(SECRET_STORE);
    byte[] value = new byte[100];
    java.util.Arrays.fill(value, (byte) 'v');
    store.save(KEY, value);
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
    embedded = EmbeddedDapr.start(runtime);
    embeddedClient = embedded.client();
    grpcClient =
        new DaprClientBuilder()
            .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort())
            .build();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    httpGet =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:" + server.httpPort() + "/v1.0/state/" + STORE + "/" + KEY))
            .build();
    httpSecretGet =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + server.httpPort()
                        + "/v1.0/secrets/"
                        + SECRET_STORE
                        + "/"
                        + SECRET))
            .build();
  }

  /**
   * One get of the 100-byte value by the named path; returns the value's length so nothing is
   * optimized away.
   */
  int get(String path) {
    return switch (path) {
      case "embedded-api" -> store.get(KEY).orElseThrow().value().length;
      case "sdk-embedded" ->
          embeddedClient.getState(STORE, KEY, byte[].class).block().getValue().length;
      case "sdk-grpc" -> grpcClient.getState(STORE, KEY, byte[].class).block().getValue().length;
      case "http" -> httpGet(httpGet);
      default -> throw new IllegalArgumentException("unknown path " + path);
    };
  }

  /**
   * One get of the secret with a 100-character value by the named path; returns the value's length
   * (for HTTP, the JSON body's) so nothing is optimized away.
   */
  int secretGet(String path) {
    return switch (path) {
      case "embedded-api" -> secrets.get(SECRET).get(SECRET).length();
      case "sdk-embedded" ->
          embeddedClient.getSecret(SECRET_STORE, SECRET).block().get(SECRET).length();
      case "sdk-grpc" -> grpcClient.getSecret(SECRET_STORE, SECRET).block().get(SECRET).length();
      case "http" -> httpGet(httpSecretGet);
      default -> throw new IllegalArgumentException("unknown path " + path);
    };
  }

  private int httpGet(HttpRequest request) {
    try {
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("HTTP " + response.statusCode());
      }
      return response.body().length;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws Exception {
    embeddedClient.close();
    grpcClient.close();
    embedded.close();
    server.close();
    runtime.close();
  }
}
