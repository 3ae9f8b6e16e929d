package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.abi.state.BulkGetItem;
import dev.pillion.abi.state.BulkGetRequest;
import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.abi.state.TransactRequest;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request-level {@code metadata.*} query parameters of the HTTP state API, as daprd handles them:
 * copied over the metadata of every saved item, of every transaction operation and of the
 * transaction itself, and over a bulk get's metadata; the query wins over the body. Bad values are
 * refused naming the parameter. Also: PUT works as POST on the state write routes.
 */
class HttpStateQueryMetadataTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final RecordingStore recording = new RecordingStore();
  private Pillion runtime;
  private PillionServer server;

  /** The Java in-memory store, recording the metadata of bulk gets and transactions. */
  private static final class RecordingStore implements StateComponent {
    private final JavaInMemoryStateComponent delegate =
        JavaInMemoryStateComponent.create("recording");
    final List<BulkGetRequest> bulkGets = new CopyOnWriteArrayList<>();
    final List<TransactRequest> transactions = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public Set<String> features() {
      return delegate.features();
    }

    @Override
    public GetResponse get(GetRequest request) {
      return delegate.get(request);
    }

    @Override
    public void set(SetRequest request) {
      delegate.set(request);
    }

    @Override
    public void delete(DeleteRequest request) {
      delegate.delete(request);
    }

    @Override
    public List<BulkGetItem> bulkGet(BulkGetRequest request) {
      bulkGets.add(request);
      return delegate.bulkGet(request);
    }

    @Override
    public void transact(TransactRequest request) {
      transactions.add(request);
      delegate.transact(request);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("query-metadata")
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .stateStore("recording", recording)
            .build();
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
    runtime.close();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Seconds from now until the item expires, from the ttlExpireTime daprd sends with reads. */
  private long secondsToExpiry(String key) throws Exception {
    HttpResponse<String> got = send("GET", "/v1.0/state/statestore/" + key, null);
    assertThat(got.statusCode()).as(key).isEqualTo(200);
    String expiry = got.headers().firstValue("metadata.ttlExpireTime").orElseThrow();
    return Duration.between(Instant.now(), Instant.parse(expiry)).toSeconds();
  }

  private static void assertRefused(HttpResponse<String> response, String... fragments)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("errorCode").asText()).isEqualTo("ERR_MALFORMED_REQUEST");
    assertThat(body.path("message").asText()).contains(fragments);
  }

  @Test
  void aQueryTtlReplacesTheTtlOfEveryItem() throws Exception {
    HttpResponse<String> saved =
        send(
            "POST",
            "/v1.0/state/statestore?metadata.ttlInSeconds=30",
            "[{\"key\":\"own-ttl\",\"value\":1,\"metadata\":{\"ttlInSeconds\":\"100000\"}},"
                + "{\"key\":\"no-ttl\",\"value\":2}]");
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(204);
    assertThat(secondsToExpiry("own-ttl")).isBetween(20L, 30L);
    assertThat(secondsToExpiry("no-ttl")).isBetween(20L, 30L);

    // Without the parameter the item's own TTL holds.
    send(
        "POST",
        "/v1.0/state/statestore",
        "[{\"key\":\"own-ttl\",\"value\":1,\"metadata\":{\"ttlInSeconds\":\"100000\"}}]");
    assertThat(secondsToExpiry("own-ttl")).isGreaterThan(90_000L);
  }

  @Test
  void aQueryContentTypeReplacesTheItemsOwn() throws Exception {
    send(
        "POST",
        "/v1.0/state/statestore?metadata.contentType=text%2Fplain",
        "[{\"key\":\"typed\",\"value\":\"x\",\"metadata\":{\"contentType\":\"application/xml\"}}]");
    assertThat(
            send("GET", "/v1.0/state/statestore/typed", null).headers().firstValue("Content-Type"))
        .hasValue("text/plain");
  }

  @Test
  void badQueryValuesAreRefusedNamingTheParameter() throws Exception {
    String item = "[{\"key\":\"refused\",\"value\":1}]";
    assertRefused(
        send("POST", "/v1.0/state/statestore?metadata.ttlInSeconds=soon", item),
        "query parameter 'metadata.ttlInSeconds'",
        "'soon'");
    assertRefused(
        send("POST", "/v1.0/state/statestore?metadata.ttlInSeconds=-2", item),
        "query parameter 'metadata.ttlInSeconds'",
        "-1 or more");
    assertRefused(
        send("POST", "/v1.0/state/statestore?metadata.contentType=text%2Fplain%0D%0AX:%20y", item),
        "query parameter 'metadata.contentType'",
        "control character");
    String transaction =
        "{\"operations\":[{\"operation\":\"upsert\",\"request\":{\"key\":\"refused\",\"value\":1}}]}";
    assertRefused(
        send("POST", "/v1.0/state/statestore/transaction?metadata.ttlInSeconds=1.5", transaction),
        "query parameter 'metadata.ttlInSeconds'");
    assertThat(send("GET", "/v1.0/state/statestore/refused", null).statusCode()).isEqualTo(204);
  }

  @Test
  void aTransactionGetsTheQueryMetadataOnEveryOperationAndItself() throws Exception {
    send("POST", "/v1.0/state/statestore", "[{\"key\":\"old\",\"value\":1}]");
    String transaction =
        "{\"operations\":["
            + "{\"operation\":\"upsert\",\"request\":{\"key\":\"t1\",\"value\":1,"
            + "\"metadata\":{\"ttlInSeconds\":\"100000\"}}},"
            + "{\"operation\":\"delete\",\"request\":{\"key\":\"old\"}}]}";
    assertThat(
            send("POST", "/v1.0/state/statestore/transaction?metadata.ttlInSeconds=30", transaction)
                .statusCode())
        .isEqualTo(204);
    assertThat(secondsToExpiry("t1")).isBetween(20L, 30L);
    assertThat(send("GET", "/v1.0/state/statestore/old", null).statusCode()).isEqualTo(204);

    String withMetadata =
        "{\"metadata\":{\"a\":\"body\",\"b\":\"body\"},\"operations\":["
            + "{\"operation\":\"upsert\",\"request\":{\"key\":\"k\",\"value\":1,"
            + "\"metadata\":{\"b\":\"item\",\"c\":\"item\"}}},"
            + "{\"operation\":\"delete\",\"request\":{\"key\":\"gone\"}}]}";
    assertThat(
            send("POST", "/v1.0/state/recording/transaction?metadata.b=query", withMetadata)
                .statusCode())
        .isEqualTo(204);
    TransactRequest recorded = recording.transactions.get(0);
    assertThat(recorded.getMetadataMap()).isEqualTo(Map.of("a", "body", "b", "query"));
    assertThat(recorded.getOperations(0).getSet().getMetadataMap())
        .isEqualTo(Map.of("b", "query", "c", "item"));
    assertThat(recorded.getOperations(1).getDelete().getMetadataMap())
        .isEqualTo(Map.of("b", "query"));
  }

  @Test
  void aBulkGetGetsTheQueryMetadataOverTheBodys() throws Exception {
    HttpResponse<String> bulk =
        send(
            "POST",
            "/v1.0/state/recording/bulk?metadata.b=query",
            "{\"keys\":[\"x\"],\"metadata\":{\"a\":\"body\",\"b\":\"body\"}}");
    assertThat(bulk.statusCode()).as(bulk.body()).isEqualTo(200);
    assertThat(recording.bulkGets.get(0).getItems(0).getMetadataMap())
        .isEqualTo(Map.of("a", "body", "b", "query"));
  }

  @Test
  void putWorksAsPostOnTheWriteRoutes() throws Exception {
    assertThat(
            send("PUT", "/v1.0/state/statestore", "[{\"key\":\"put\",\"value\":\"v\"}]")
                .statusCode())
        .isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/statestore/put", null).body()).isEqualTo("\"v\"");
    String transaction =
        "{\"operations\":[{\"operation\":\"upsert\",\"request\":{\"key\":\"put\",\"value\":2}}]}";
    assertThat(send("PUT", "/v1.0/state/statestore/transaction", transaction).statusCode())
        .isEqualTo(204);
    HttpResponse<String> bulk = send("PUT", "/v1.0/state/statestore/bulk", "{\"keys\":[\"put\"]}");
    assertThat(bulk.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(bulk.body()).get(0).path("data").asInt()).isEqualTo(2);
    // Other methods are not write routes.
    assertThat(send("PATCH", "/v1.0/state/statestore", "[]").statusCode()).isEqualTo(404);
  }
}
