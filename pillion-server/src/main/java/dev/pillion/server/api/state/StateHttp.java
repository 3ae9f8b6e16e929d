package dev.pillion.server.api.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.http.JsonBody;
import dev.pillion.server.http.RequestTarget;
import dev.pillion.server.spi.HttpApiRequest;
import dev.pillion.server.spi.HttpReply;
import dev.pillion.state.BulkStateItem;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.GetRequest;
import dev.pillion.state.InvalidStateRequestException;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import dev.pillion.state.spi.StateMetadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP face of the state API ({@code /v1.0/state/...}): JSON bodies and query parameters to
 * {@link StateCommand}s, results to daprd's responses.
 */
final class StateHttp {
  private static final String METADATA_PREFIX = "metadata.";
  private static final int OK = 200;
  private static final int NO_CONTENT = 204;

  private final StateGateway gateway;

  StateHttp(StateGateway gateway) {
    this.gateway = gateway;
  }

  /** {@code POST /v1.0/state/{store}}: a JSON array of items. */
  CompletionStage<HttpReply> save(HttpApiRequest request) {
    String storeName = request.pathParameter("store");
    StateStore store = gateway.store(storeName);
    Map<String, String> fromQuery = stateWriteMetadata(request, storeName);
    List<SaveRequest> saves = new ArrayList<>();
    int index = 0;
    for (JsonNode item : JsonBody.array(body(request), "the request body")) {
      saves.add(toSave(item, "[" + index++ + "]", fromQuery));
    }
    return gateway
        .execute(new StateCommand.Save(store, saves))
        .thenApply(done -> HttpReply.empty(NO_CONTENT));
  }

  /** {@code GET /v1.0/state/{store}/{key}}. */
  CompletionStage<HttpReply> get(HttpApiRequest request) {
    StateStore store = gateway.store(request.pathParameter("store"));
    GetRequest get =
        GetRequest.builder(request.pathParameter("key"))
            .consistency(StateGateway.consistency(request.queryParameter("consistency")))
            .metadata(request.metadata())
            .build();
    return gateway.execute(new StateCommand.Get(store, get)).thenApply(StateHttp::item);
  }

  private static HttpReply item(Optional<StateItem> item) {
    if (item.isEmpty()) {
      return HttpReply.empty(NO_CONTENT);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    item.get().etag().ifPresent(etag -> headers.put("ETag", etag));
    headers.put(
        "Content-Type",
        item.get().contentType().filter(type -> !type.isEmpty()).orElse("application/json"));
    item.get().metadata().forEach((k, v) -> headers.put("metadata." + k, v));
    return HttpReply.of(OK, item.get().value(), headers);
  }

  /** {@code DELETE /v1.0/state/{store}/{key}}, with the etag in {@code If-Match}. */
  CompletionStage<HttpReply> delete(HttpApiRequest request) {
    StateStore store = gateway.store(request.pathParameter("store"));
    DeleteRequest.Builder delete =
        DeleteRequest.builder(request.pathParameter("key"))
            .concurrency(StateGateway.concurrency(request.queryParameter("concurrency")))
            .consistency(StateGateway.consistency(request.queryParameter("consistency")));
    request.metadata().forEach(delete::metadata);
    request
        .header("If-Match")
        .filter(ifMatch -> !ifMatch.isEmpty())
        .ifPresent(ifMatch -> delete.etag(unquote(ifMatch)));
    return gateway
        .execute(new StateCommand.Delete(store, delete.build()))
        .thenApply(done -> HttpReply.empty(NO_CONTENT));
  }

  /**
   * {@code POST /v1.0/state/{store}/bulk}: {@code {keys: [string], metadata: {string: string},
   * parallelism: int}}; {@code metadata.*} query parameters are added to the metadata, replacing
   * the body's, as daprd does.
   */
  CompletionStage<HttpReply> bulkGet(HttpApiRequest request) {
    StateStore store = gateway.store(request.pathParameter("store"));
    ObjectNode body = JsonBody.object(body(request), "the request body");
    List<String> keys = new ArrayList<>();
    int index = 0;
    for (JsonNode key : JsonBody.optionalArray(body, "keys", "keys")) {
      keys.add(JsonBody.string(key, "keys[" + index++ + "]"));
    }
    Map<String, String> metadata =
        new LinkedHashMap<>(JsonBody.stringMap(JsonBody.field(body, "metadata"), "metadata"));
    metadata.putAll(request.metadata());
    JsonBody.optionalInteger(body, "parallelism", "parallelism");
    return gateway
        .execute(new StateCommand.BulkGet(store, keys, metadata))
        .thenApply(StateHttp::bulkItems);
  }

  private static HttpReply bulkItems(List<BulkStateItem> items) {
    ArrayNode response = JsonBody.JSON.createArrayNode();
    for (BulkStateItem item : items) {
      ObjectNode entry = response.addObject().put("key", item.key());
      item.error().ifPresent(e -> entry.put("error", e));
      item.item()
          .ifPresent(
              i -> {
                entry.set("data", valueAsJson(i.value()));
                i.etag().ifPresent(etag -> entry.put("etag", etag));
                if (!i.metadata().isEmpty()) {
                  ObjectNode meta = entry.putObject("metadata");
                  i.metadata().forEach(meta::put);
                }
              });
    }
    return HttpReply.json(OK, response);
  }

  /**
   * {@code POST /v1.0/state/{store}/transaction}: {@code {operations: [{operation:
   * "upsert"|"delete", request: {...}}], metadata: {...}}}; no operations is a successful no-op, as
   * in daprd. The request's {@code metadata.*} query parameters are added to the transaction's
   * metadata and to every operation's, replacing theirs, as daprd does.
   */
  CompletionStage<HttpReply> transaction(HttpApiRequest request) {
    String storeName = request.pathParameter("store");
    StateStore store = gateway.store(storeName);
    JsonNode parsed = body(request);
    Map<String, String> fromQuery = stateWriteMetadata(request, storeName);
    ObjectNode body = JsonBody.object(parsed, "the request body");
    List<JsonNode> given = JsonBody.optionalArray(body, "operations", "operations");
    Map<String, String> metadata =
        new LinkedHashMap<>(JsonBody.stringMap(JsonBody.field(body, "metadata"), "metadata"));
    metadata.putAll(fromQuery);
    List<TransactionOperation> operations = new ArrayList<>();
    int index = 0;
    for (JsonNode operation : given) {
      String field = "operations[" + index++ + "]";
      ObjectNode entry = JsonBody.object(operation, field);
      String type = JsonBody.requiredString(entry, "operation", field + ".operation");
      JsonNode item = JsonBody.field(entry, "request");
      switch (type) {
        case "upsert" ->
            operations.add(
                TransactionOperation.upsert(toSave(item, field + ".request", fromQuery)));
        case "delete" ->
            operations.add(
                TransactionOperation.delete(toDelete(item, field + ".request", fromQuery)));
        default -> throw new DaprApiException(DaprApiError.unsupportedOperation(type));
      }
    }
    if (operations.isEmpty()) {
      return CompletableFuture.completedFuture(HttpReply.empty(NO_CONTENT));
    }
    return gateway
        .execute(new StateCommand.Transaction(store, operations, metadata))
        .thenApply(done -> HttpReply.empty(NO_CONTENT));
  }

  private static JsonNode body(HttpApiRequest request) {
    return JsonBody.parse(request.body(), "the request body");
  }

  /**
   * A delete of a transaction: {key, etag, metadata, options{concurrency, consistency}}, with the
   * query's metadata over the item's.
   */
  private static DeleteRequest toDelete(JsonNode node, String what, Map<String, String> fromQuery) {
    ObjectNode item = JsonBody.object(node, what);
    DeleteRequest.Builder delete =
        DeleteRequest.builder(JsonBody.requiredString(item, "key", what + ".key"));
    JsonBody.optionalString(item, "etag", what + ".etag")
        .filter(etag -> !etag.isEmpty())
        .ifPresent(delete::etag);
    JsonBody.stringMap(JsonBody.field(item, "metadata"), what + ".metadata")
        .forEach(delete::metadata);
    fromQuery.forEach(delete::metadata);
    Optional<ObjectNode> options = JsonBody.optionalObject(item, "options", what + ".options");
    delete
        .concurrency(StateGateway.concurrency(option(options, "concurrency", what)))
        .consistency(StateGateway.consistency(option(options, "consistency", what)));
    return delete.build();
  }

  /**
   * An item of a save or an upsert: {key, value, etag, metadata, options{concurrency,
   * consistency}}, with the query's metadata over the item's (checked by {@link
   * #stateWriteMetadata}).
   */
  private static SaveRequest toSave(JsonNode node, String what, Map<String, String> fromQuery) {
    ObjectNode item = JsonBody.object(node, what);
    String key = JsonBody.requiredString(item, "key", what + ".key");
    JsonNode value = JsonBody.field(item, "value");
    byte[] bytes = value == null ? new byte[0] : value.toString().getBytes(StandardCharsets.UTF_8);
    SaveRequest.Builder save = SaveRequest.builder(key, bytes);
    JsonBody.optionalString(item, "etag", what + ".etag")
        .filter(etag -> !etag.isEmpty())
        .ifPresent(save::etag);
    Map<String, String> metadata =
        new LinkedHashMap<>(
            JsonBody.stringMap(JsonBody.field(item, "metadata"), what + ".metadata"));
    metadata.putAll(fromQuery);
    save.metadata(metadata);
    String contentType = metadata.getOrDefault("contentType", "");
    save.contentType(
        contentType.isEmpty()
            ? "application/json"
            : fromQuery.containsKey("contentType")
                ? contentType
                : StateGateway.checkContentType(contentType, what + ".metadata.contentType"));
    Optional<ObjectNode> options = JsonBody.optionalObject(item, "options", what + ".options");
    save.concurrency(StateGateway.concurrency(option(options, "concurrency", what)))
        .consistency(StateGateway.consistency(option(options, "consistency", what)));
    return save.build();
  }

  private static String option(Optional<ObjectNode> options, String name, String what) {
    return options
        .flatMap(o -> JsonBody.optionalString(o, name, what + ".options." + name))
        .orElse("");
  }

  /**
   * Stored bytes as JSON: as they are when they are JSON (the HTTP API stores JSON), else as a
   * string.
   */
  private static JsonNode valueAsJson(byte[] value) {
    try {
      return JsonBody.parse(value, "the stored value");
    } catch (DaprApiException e) {
      return JsonBody.JSON.getNodeFactory().textNode(new String(value, StandardCharsets.UTF_8));
    }
  }

  /**
   * The {@code metadata.*} query parameters of a save or transaction, which daprd copies over every
   * item's metadata; the values Pillion interprets are checked here, so an error names the
   * parameter rather than every item.
   */
  private static Map<String, String> stateWriteMetadata(HttpApiRequest request, String store) {
    Map<String, String> fromQuery = request.metadata();
    String ttl = fromQuery.get(StateMetadata.TTL_IN_SECONDS);
    if (ttl != null) {
      try {
        StateMetadata.ttlSeconds(store, Map.of(StateMetadata.TTL_IN_SECONDS, ttl));
      } catch (InvalidStateRequestException e) {
        throw new DaprApiException(
            DaprApiError.malformed(
                "the query parameter '"
                    + METADATA_PREFIX
                    + StateMetadata.TTL_IN_SECONDS
                    + "' must be an integer of -1 or more (seconds; -1 never expires), not '"
                    + RequestTarget.printable(ttl)
                    + "'"));
      }
    }
    String contentType = fromQuery.get("contentType");
    if (contentType != null && !contentType.isEmpty()) {
      StateGateway.checkContentType(
          contentType, "the query parameter '" + METADATA_PREFIX + "contentType'");
    }
    return fromQuery;
  }

  private static String unquote(String etag) {
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
        ? etag.substring(1, etag.length() - 1)
        : etag;
  }
}
