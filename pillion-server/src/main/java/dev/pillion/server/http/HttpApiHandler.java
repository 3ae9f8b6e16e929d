package dev.pillion.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.Pillion;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiError.StateOperation;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.PubSubGateway;
import dev.pillion.server.StateGateway;
import dev.pillion.state.BulkStateItem;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.GetRequest;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Dapr's HTTP API ({@code /v1.0/...}) for the building blocks Pillion has: state, metadata, health
 * and shutdown. Handlers run on the event loop: a state call is microseconds, so handing it to
 * another thread would cost more than it saves. Errors are daprd's JSON body {@code {"errorCode":
 * ..., "message": ...}}.
 */
@ChannelHandler.Sharable
public final class HttpApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN_HEADER = "dapr-api-token";
  private static final String METADATA_PREFIX = "metadata.";

  private final StateGateway gateway;
  private final PubSubGateway pubsub;
  private final Optional<byte[]> apiToken;
  private final Runnable shutdown;
  private final String runtimeVersion;

  /**
   * Creates the handler.
   *
   * @param gateway the state gateway
   * @param pubsub the pub/sub gateway
   * @param apiToken the token every call but health checks must carry, if any
   * @param shutdown what {@code POST /v1.0/shutdown} triggers (asynchronously)
   * @param runtimeVersion reported by the metadata API
   */
  public HttpApiHandler(
      StateGateway gateway,
      PubSubGateway pubsub,
      Optional<String> apiToken,
      Runnable shutdown,
      String runtimeVersion) {
    this.gateway = gateway;
    this.pubsub = pubsub;
    this.apiToken = apiToken.map(t -> t.getBytes(StandardCharsets.UTF_8));
    this.shutdown = shutdown;
    this.runtimeVersion = runtimeVersion;
  }

  /** A response before it is written. */
  private record Reply(HttpResponseStatus status, byte[] body, Map<String, String> headers) {
    static Reply empty(HttpResponseStatus status) {
      return new Reply(status, new byte[0], Map.of());
    }

    static Reply json(HttpResponseStatus status, JsonNode body) {
      return new Reply(
          status,
          body.toString().getBytes(StandardCharsets.UTF_8),
          Map.of("Content-Type", "application/json"));
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    Reply reply;
    boolean shutdownAfter = false;
    try {
      QueryStringDecoder uri = new QueryStringDecoder(request.uri());
      List<String> path = segments(uri.path());
      if (!isHealthCheck(path)) {
        checkToken(request);
      }
      shutdownAfter =
          path.equals(List.of("v1.0", "shutdown")) && request.method().equals(HttpMethod.POST);
      reply = route(request, uri, path);
    } catch (DaprApiException e) {
      reply = error(e.error());
    } catch (RuntimeException e) {
      reply = error(DaprApiError.internal(e));
    }
    write(ctx, request, reply);
    if (shutdownAfter) {
      shutdown.run();
    }
  }

  private static boolean isHealthCheck(List<String> path) {
    return path.size() >= 2 && path.get(0).equals("v1.0") && path.get(1).equals("healthz");
  }

  private void checkToken(FullHttpRequest request) {
    if (apiToken.isEmpty()) {
      return;
    }
    String given = request.headers().get(TOKEN_HEADER);
    if (given == null
        || !MessageDigest.isEqual(apiToken.get(), given.getBytes(StandardCharsets.UTF_8))) {
      throw new DaprApiException(DaprApiError.unauthorized());
    }
  }

  private static List<String> segments(String path) {
    List<String> segments = new ArrayList<>();
    for (String segment : path.split("/")) {
      if (!segment.isEmpty()) {
        segments.add(QueryStringDecoder.decodeComponent(segment));
      }
    }
    return segments;
  }

  private Reply route(FullHttpRequest request, QueryStringDecoder uri, List<String> path) {
    HttpMethod method = request.method();
    if (path.isEmpty() || !path.get(0).equals("v1.0") && !path.get(0).equals("v1.0-alpha1")) {
      return notFound(request);
    }
    String api = path.size() > 1 ? path.get(1) : "";
    int rest = path.size() - 2;
    switch (api) {
      case "healthz":
        if (method.equals(HttpMethod.GET)
            && (rest == 0 || rest == 1 && path.get(2).equals("outbound"))) {
          return Reply.empty(HttpResponseStatus.NO_CONTENT);
        }
        return notFound(request);
      case "metadata":
        if (method.equals(HttpMethod.GET) && rest == 0) {
          return Reply.json(HttpResponseStatus.OK, metadata());
        }
        return notFound(request);
      case "shutdown":
        if (method.equals(HttpMethod.POST) && rest == 0) {
          return Reply.empty(HttpResponseStatus.NO_CONTENT);
        }
        return notFound(request);
      case "state":
        return state(request, uri, path.subList(2, path.size()));
      case "publish":
        return publish(request, uri, path.subList(2, path.size()));
      case "bindings",
          "invoke",
          "secrets",
          "configuration",
          "lock",
          "unlock",
          "actors",
          "workflows",
          "crypto",
          "jobs",
          "conversation",
          "subscribe":
        throw new DaprApiException(DaprApiError.notImplemented("the " + api + " API"));
      default:
        return notFound(request);
    }
  }

  private static Reply notFound(FullHttpRequest request) {
    return error(
        new DaprApiError(
            404,
            "ERR_NOT_FOUND",
            io.grpc.Status.Code.NOT_FOUND,
            "ERR_NOT_FOUND",
            "no route for "
                + request.method()
                + " "
                + new QueryStringDecoder(request.uri()).path()));
  }

  /**
   * {@code POST /v1.0/publish/{pubsub}/{topic}} (body: the data, Content-Type: its type), and the
   * bulk forms {@code POST /v1.0-alpha1/publish/bulk/{pubsub}/{topic}} and {@code POST
   * /v1.0/publish/bulk/{pubsub}/{topic}} (body: {@code [{entryId, event, contentType, metadata}]}).
   */
  private Reply publish(FullHttpRequest request, QueryStringDecoder uri, List<String> path) {
    if (!request.method().equals(HttpMethod.POST)) {
      return notFound(request);
    }
    if (!path.isEmpty() && path.get(0).equals("bulk")) {
      return bulkPublish(request, uri, path.subList(1, path.size()));
    }
    if (path.isEmpty()) {
      throw new DaprApiException(DaprApiError.pubsubNotFound("", true));
    }
    String topic = path.size() > 1 ? String.join("/", path.subList(1, path.size())) : "";
    ByteBuf content = request.content();
    byte[] data = new byte[content.readableBytes()];
    content.getBytes(content.readerIndex(), data);
    String contentType =
        Optional.ofNullable(request.headers().get(HttpHeaderNames.CONTENT_TYPE)).orElse("");
    dev.pillion.pubsub.PublishRequest.Builder publish =
        dev.pillion.pubsub.PublishRequest.builder(topic, data)
            .contentType(contentType)
            .metadata(metadata(uri));
    Optional.ofNullable(request.headers().get("traceparent")).ifPresent(publish::traceparent);
    pubsub.publish(path.get(0), publish.build());
    return Reply.empty(HttpResponseStatus.NO_CONTENT);
  }

  private Reply bulkPublish(FullHttpRequest request, QueryStringDecoder uri, List<String> path) {
    if (path.isEmpty()) {
      throw new DaprApiException(DaprApiError.pubsubNotFound("", true));
    }
    String topic = path.size() > 1 ? String.join("/", path.subList(1, path.size())) : "";
    List<dev.pillion.pubsub.PubSub.BulkPublishEntry> entries = new ArrayList<>();
    int index = 0;
    for (JsonNode node : array(body(request), "the request body")) {
      String field = "entries[" + index++ + "]";
      ObjectNode entry = object(node, field);
      String entryId = text(entry.get("entryId"), field + ".entryId");
      JsonNode event = entry.get("event");
      if (event == null) {
        throw new DaprApiException(DaprApiError.malformed(field + ".event is missing"));
      }
      String contentType = entry.path("contentType").asText("");
      byte[] data =
          event.isTextual() && !contentType.contains("json")
              ? event.asText().getBytes(StandardCharsets.UTF_8)
              : event.toString().getBytes(StandardCharsets.UTF_8);
      entries.add(
          new dev.pillion.pubsub.PubSub.BulkPublishEntry(
              entryId, data, contentType, stringMap(entry.get("metadata"), field + ".metadata")));
    }
    List<dev.pillion.pubsub.PubSub.BulkPublishFailure> failures =
        pubsub.bulkPublish(path.get(0), topic, entries, metadata(uri));
    ObjectNode response = JSON.createObjectNode();
    ArrayNode failed = response.putArray("failedEntries");
    for (dev.pillion.pubsub.PubSub.BulkPublishFailure failure : failures) {
      failed.addObject().put("entryId", failure.entryId()).put("error", failure.error());
    }
    if (!failures.isEmpty()) {
      response.put("errorCode", "ERR_PUBSUB_PUBLISH_MESSAGE");
      return Reply.json(HttpResponseStatus.INTERNAL_SERVER_ERROR, response);
    }
    return Reply.json(HttpResponseStatus.OK, response);
  }

  private Reply state(FullHttpRequest request, QueryStringDecoder uri, List<String> path) {
    HttpMethod method = request.method();
    if (path.isEmpty()) {
      return notFound(request);
    }
    String storeName = path.get(0);
    if (path.size() == 1 && method.equals(HttpMethod.POST)) {
      StateStore store = gateway.store(storeName);
      List<SaveRequest> saves = new ArrayList<>();
      for (JsonNode item : array(body(request), "the request body")) {
        saves.add(toSave(item));
      }
      gateway.save(store, saves);
      return Reply.empty(HttpResponseStatus.NO_CONTENT);
    }
    if (path.size() == 2 && path.get(1).equals("bulk") && method.equals(HttpMethod.POST)) {
      return bulkGet(gateway.store(storeName), body(request));
    }
    if (path.size() == 2 && path.get(1).equals("transaction") && method.equals(HttpMethod.POST)) {
      return transaction(gateway.store(storeName), body(request));
    }
    if (path.size() == 2 && method.equals(HttpMethod.GET)) {
      return get(gateway.store(storeName), path.get(1), uri);
    }
    if (path.size() == 2 && method.equals(HttpMethod.DELETE)) {
      StateStore store = gateway.store(storeName);
      DeleteRequest.Builder delete =
          DeleteRequest.builder(path.get(1))
              .concurrency(StateGateway.concurrency(param(uri, "concurrency")))
              .consistency(StateGateway.consistency(param(uri, "consistency")));
      metadata(uri).forEach(delete::metadata);
      String ifMatch = request.headers().get(HttpHeaderNames.IF_MATCH);
      if (ifMatch != null && !ifMatch.isEmpty()) {
        delete.etag(unquote(ifMatch));
      }
      DeleteRequest built = delete.build();
      gateway.run(
          StateOperation.DELETE,
          () -> {
            store.delete(built);
            return null;
          });
      return Reply.empty(HttpResponseStatus.NO_CONTENT);
    }
    return notFound(request);
  }

  private Reply get(StateStore store, String key, QueryStringDecoder uri) {
    GetRequest get =
        GetRequest.builder(key)
            .consistency(StateGateway.consistency(param(uri, "consistency")))
            .metadata(metadata(uri))
            .build();
    Optional<StateItem> item = gateway.run(StateOperation.GET, () -> store.get(get));
    if (item.isEmpty()) {
      return Reply.empty(HttpResponseStatus.NO_CONTENT);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    item.get().etag().ifPresent(etag -> headers.put("ETag", etag));
    headers.put("Content-Type", item.get().contentType().orElse("application/json"));
    item.get().metadata().forEach((k, v) -> headers.put("metadata." + k, v));
    return new Reply(HttpResponseStatus.OK, item.get().value(), headers);
  }

  private Reply bulkGet(StateStore store, JsonNode body) {
    ObjectNode request = object(body, "the request body");
    List<String> keys = new ArrayList<>();
    for (JsonNode key : array(request.path("keys"), "keys")) {
      keys.add(text(key, "keys[]"));
    }
    Map<String, String> metadata = stringMap(request.get("metadata"), "metadata");
    List<BulkStateItem> items =
        gateway.run(StateOperation.BULK_GET, () -> store.bulkGet(keys, metadata));
    ArrayNode response = JSON.createArrayNode();
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
    return Reply.json(HttpResponseStatus.OK, response);
  }

  private Reply transaction(StateStore store, JsonNode body) {
    ObjectNode request = object(body, "the request body");
    List<TransactionOperation> operations = new ArrayList<>();
    int index = 0;
    for (JsonNode operation : array(request.path("operations"), "operations")) {
      String field = "operations[" + index++ + "]";
      String type = text(object(operation, field).get("operation"), field + ".operation");
      JsonNode item = object(operation.get("request"), field + ".request");
      switch (type) {
        case "upsert" -> operations.add(TransactionOperation.upsert(toSave(item)));
        case "delete" -> {
          DeleteRequest.Builder delete =
              DeleteRequest.builder(text(item.get("key"), field + ".request.key"));
          if (item.hasNonNull("etag") && !item.get("etag").asText().isEmpty()) {
            delete.etag(item.get("etag").asText());
          }
          stringMap(item.get("metadata"), field + ".request.metadata").forEach(delete::metadata);
          JsonNode options = item.path("options");
          delete
              .concurrency(StateGateway.concurrency(options.path("concurrency").asText("")))
              .consistency(StateGateway.consistency(options.path("consistency").asText("")));
          operations.add(TransactionOperation.delete(delete.build()));
        }
        default -> throw new DaprApiException(DaprApiError.unsupportedOperation(type));
      }
    }
    Map<String, String> metadata = stringMap(request.get("metadata"), "metadata");
    gateway.run(
        StateOperation.TRANSACTION,
        () -> {
          store.transact(operations, metadata);
          return null;
        });
    return Reply.empty(HttpResponseStatus.NO_CONTENT);
  }

  /**
   * An item of a save or an upsert: {key, value, etag, metadata, options{concurrency,
   * consistency}}.
   */
  private static SaveRequest toSave(JsonNode node) {
    ObjectNode item = object(node, "state item");
    String key = text(item.get("key"), "key");
    JsonNode value = item.get("value");
    byte[] bytes =
        value == null || value.isNull()
            ? new byte[0]
            : value.toString().getBytes(StandardCharsets.UTF_8);
    SaveRequest.Builder save = SaveRequest.builder(key, bytes);
    if (item.hasNonNull("etag") && !item.get("etag").asText().isEmpty()) {
      save.etag(item.get("etag").asText());
    }
    Map<String, String> metadata = stringMap(item.get("metadata"), "metadata of key '" + key + "'");
    save.metadata(metadata);
    String contentType = metadata.get("contentType");
    save.contentType(contentType != null ? contentType : "application/json");
    JsonNode options = item.path("options");
    save.concurrency(StateGateway.concurrency(options.path("concurrency").asText("")))
        .consistency(StateGateway.consistency(options.path("consistency").asText("")));
    return save.build();
  }

  /**
   * Stored bytes as JSON: as they are when they are JSON (the HTTP API stores JSON), else as a
   * string.
   */
  private static JsonNode valueAsJson(byte[] value) {
    try {
      return JSON.readTree(value);
    } catch (java.io.IOException e) {
      return JSON.getNodeFactory().textNode(new String(value, StandardCharsets.UTF_8));
    }
  }

  private ObjectNode metadata() {
    Pillion runtime = gateway.runtime();
    ObjectNode metadata =
        JSON.createObjectNode().put("id", runtime.appId()).put("runtimeVersion", runtimeVersion);
    ArrayNode components = metadata.putArray("components");
    for (Pillion.LoadedComponent component : runtime.components()) {
      ObjectNode entry =
          components
              .addObject()
              .put("name", component.name())
              .put("type", component.type())
              .put("version", component.version());
      ArrayNode capabilities = entry.putArray("capabilities");
      component.capabilities().forEach(capabilities::add);
    }
    ArrayNode subscriptions = metadata.putArray("subscriptions");
    for (dev.pillion.pubsub.SubscriptionDefinition subscription : runtime.activeSubscriptions()) {
      ObjectNode entry =
          subscriptions
              .addObject()
              .put("pubsubname", subscription.pubsubName())
              .put("topic", subscription.topic())
              .put("type", subscription.name().startsWith("app:") ? "programmatic" : "declarative");
      subscription.deadLetterTopic().ifPresent(topic -> entry.put("deadLetterTopic", topic));
      ArrayNode rules = entry.putArray("rules");
      subscription
          .routes()
          .rules()
          .forEach(
              rule -> rules.addObject().put("match", rule.getKey()).put("path", rule.getValue()));
      subscription
          .routes()
          .defaultRoute()
          .ifPresent(path -> rules.addObject().put("match", "").put("path", path));
      ObjectNode meta = entry.putObject("metadata");
      subscription.metadata().forEach(meta::put);
    }
    metadata.putObject("extended");
    return metadata;
  }

  private static JsonNode body(FullHttpRequest request) {
    ByteBuf content = request.content();
    byte[] bytes = new byte[content.readableBytes()];
    content.getBytes(content.readerIndex(), bytes);
    if (bytes.length == 0) {
      throw new DaprApiException(DaprApiError.malformed("the request body is empty"));
    }
    try {
      return JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new DaprApiException(
          DaprApiError.malformed("the request body is not valid JSON: " + e.getOriginalMessage()));
    } catch (java.io.IOException e) {
      throw new DaprApiException(
          DaprApiError.malformed("cannot read the request body: " + e.getMessage()));
    }
  }

  private static ArrayNode array(JsonNode node, String field) {
    if (node instanceof ArrayNode array) {
      return array;
    }
    throw new DaprApiException(DaprApiError.malformed(field + " must be a JSON array"));
  }

  private static ObjectNode object(JsonNode node, String field) {
    if (node instanceof ObjectNode object) {
      return object;
    }
    throw new DaprApiException(DaprApiError.malformed(field + " must be a JSON object"));
  }

  private static String text(JsonNode node, String field) {
    if (node == null || !node.isTextual() || node.asText().isEmpty()) {
      throw new DaprApiException(DaprApiError.malformed(field + " must be a non-empty string"));
    }
    return node.asText();
  }

  private static Map<String, String> stringMap(JsonNode node, String field) {
    Map<String, String> map = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return map;
    }
    ObjectNode object = object(node, field);
    Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> entry = fields.next();
      map.put(
          entry.getKey(),
          entry.getValue().isTextual() ? entry.getValue().asText() : entry.getValue().toString());
    }
    return map;
  }

  private static String param(QueryStringDecoder uri, String name) {
    List<String> values = uri.parameters().get(name);
    return values == null || values.isEmpty() ? "" : values.get(0);
  }

  private static Map<String, String> metadata(QueryStringDecoder uri) {
    Map<String, String> metadata = new LinkedHashMap<>();
    uri.parameters()
        .forEach(
            (name, values) -> {
              if (name.startsWith(METADATA_PREFIX) && !values.isEmpty()) {
                metadata.put(name.substring(METADATA_PREFIX.length()), values.get(0));
              }
            });
    return metadata;
  }

  private static String unquote(String etag) {
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
        ? etag.substring(1, etag.length() - 1)
        : etag;
  }

  private static Reply error(DaprApiError error) {
    ObjectNode body =
        JSON.createObjectNode().put("errorCode", error.errorCode()).put("message", error.message());
    return Reply.json(HttpResponseStatus.valueOf(error.httpStatus()), body);
  }

  private static void write(ChannelHandlerContext ctx, FullHttpRequest request, Reply reply) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, reply.status(), Unpooled.wrappedBuffer(reply.body()));
    reply.headers().forEach((name, value) -> response.headers().set(name, value));
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(response);
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
