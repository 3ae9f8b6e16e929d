package dev.pillion.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.Pillion;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiError.StateOperation;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.MetadataGateway;
import dev.pillion.server.PubSubGateway;
import dev.pillion.server.Readiness;
import dev.pillion.server.StateGateway;
import dev.pillion.server.UnimplementedApis;
import dev.pillion.state.BulkStateItem;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.GetRequest;
import dev.pillion.state.InvalidStateRequestException;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import dev.pillion.state.spi.StateMetadata;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Dapr's HTTP API ({@code /v1.0/...}) for the building blocks Pillion has: state, pub/sub,
 * metadata, health and shutdown; daprd's other routes answer 501 naming their API ({@link
 * UnimplementedApis}). Handlers run on the event loop: a state call is microseconds, so handing it
 * to another thread would cost more than it saves. Errors are daprd's JSON body {@code
 * {"errorCode": ..., "message": ...}}, and every request gets exactly one response: a request Netty
 * could not decode is a 400/414/431 that ends the connection, an unexpected failure anywhere is a
 * 500 (logged at WARNING once per kind), and a response that cannot be sent is replaced by a 500.
 */
@ChannelHandler.Sharable
public final class HttpApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final String TOKEN_HEADER = "dapr-api-token";
  private static final String METADATA_PREFIX = "metadata.";

  private final StateGateway gateway;
  private final PubSubGateway pubsub;
  private final Optional<byte[]> apiToken;
  private final Runnable shutdown;
  private final MetadataGateway metadata;
  private final HttpLimits limits;
  private final Readiness readiness;

  /**
   * Creates the handler.
   *
   * @param gateway the state gateway
   * @param pubsub the pub/sub gateway
   * @param apiToken the token every call but health checks must carry, if any
   * @param shutdown what {@code POST /v1.0/shutdown} triggers (asynchronously)
   * @param metadata what the metadata API reports and stores
   * @param limits the limits the pipeline enforces, named in error messages
   * @param readiness what {@code GET /v1.0/healthz} reports ({@code /v1.0/healthz/outbound} is
   *     healthy as soon as the API serves: the components are loaded by then)
   */
  public HttpApiHandler(
      StateGateway gateway,
      PubSubGateway pubsub,
      Optional<String> apiToken,
      Runnable shutdown,
      MetadataGateway metadata,
      HttpLimits limits,
      Readiness readiness) {
    this.gateway = gateway;
    this.pubsub = pubsub;
    this.apiToken = apiToken.map(t -> t.getBytes(StandardCharsets.UTF_8));
    this.shutdown = shutdown;
    this.metadata = metadata;
    this.limits = limits;
    this.readiness = readiness;
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
    if (request.decoderResult().isFailure()) {
      DaprHttpResponses.sendAndClose(
          ctx, ctx.channel(), undecodable(request.decoderResult().cause()));
      return;
    }
    Reply reply;
    boolean shutdownAfter = false;
    try {
      RequestTarget target = RequestTarget.parse(request.uri());
      List<String> path = target.segments();
      if (!isHealthCheck(path)) {
        checkToken(request);
      }
      shutdownAfter =
          path.equals(List.of("v1.0", "shutdown")) && request.method().equals(HttpMethod.POST);
      reply = route(request, target);
    } catch (DaprApiException e) {
      reply = error(e.error());
      shutdownAfter = false;
    } catch (RuntimeException e) {
      FailureLog.unexpected("handling " + describe(request), e);
      reply = error(DaprApiError.internal(e));
      shutdownAfter = false;
    }
    respond(ctx, request, reply);
    if (shutdownAfter) {
      shutdown.run();
    }
  }

  /**
   * Anything thrown in this connection's pipeline that no one handled (including errors thrown
   * while handling a request): the request is answered with a 500 and the connection ends, so it
   * never goes silent.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException
        || cause instanceof PrematureChannelClosureException
        || !ctx.channel().isActive()) {
      // The connection is over (reset by the client, or closed while a request was still
      // arriving, after a 408 say): there is no one to answer.
      ctx.close();
      return;
    }
    FailureLog.unexpected("in the HTTP pipeline of " + ctx.channel().remoteAddress(), cause);
    DaprHttpResponses.sendAndClose(
        ctx,
        ctx.channel(),
        DaprHttpResponses.error(
            HttpResponseStatus.INTERNAL_SERVER_ERROR, "ERR_INTERNAL", String.valueOf(cause), true));
  }

  /** The answer to a request Netty could not decode: 414, 431 or 400. */
  private FullHttpResponse undecodable(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return DaprHttpResponses.malformed(
          HttpResponseStatus.REQUEST_URI_TOO_LONG,
          "the request line is longer than "
              + limits.maxRequestLineBytes()
              + " bytes (--read-buffer-size "
              + limits.readBufferBytes()
              + " plus 4 KiB)");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return DaprHttpResponses.malformed(
          HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
          "the request headers are larger than "
              + limits.maxHeaderBytes()
              + " bytes (--read-buffer-size "
              + limits.readBufferBytes()
              + " plus 4 KiB)");
    }
    String reason =
        cause instanceof TooLongFrameException || cause.getMessage() == null
            ? String.valueOf(cause)
            : cause.getMessage();
    return DaprHttpResponses.malformed(
        HttpResponseStatus.BAD_REQUEST,
        "the request is not valid HTTP/1.1: " + RequestTarget.printable(reason));
  }

  private static String describe(FullHttpRequest request) {
    return request.method() + " " + RequestTarget.printable(request.uri());
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

  private Reply route(FullHttpRequest request, RequestTarget target) {
    HttpMethod method = request.method();
    List<String> path = target.segments();
    // Bulk publish is the only route Pillion serves outside v1.0 (daprd has it in both).
    boolean bulkPublishAlpha1 =
        path.size() > 2
            && path.get(0).equals("v1.0-alpha1")
            && path.get(1).equals("publish")
            && path.get(2).equals("bulk");
    if (path.isEmpty() || !path.get(0).equals("v1.0") && !bulkPublishAlpha1) {
      return notFound(request, target);
    }
    String api = path.size() > 1 ? path.get(1) : "";
    int rest = path.size() - 2;
    switch (api) {
      case "healthz":
        if (method.equals(HttpMethod.GET) && rest == 0) {
          readiness
              .pending()
              .ifPresent(
                  waiting -> {
                    throw new DaprApiException(DaprApiError.healthNotReady(waiting));
                  });
          return Reply.empty(HttpResponseStatus.NO_CONTENT);
        }
        if (method.equals(HttpMethod.GET) && rest == 1 && path.get(2).equals("outbound")) {
          return Reply.empty(HttpResponseStatus.NO_CONTENT);
        }
        return notFound(request, target);
      case "metadata":
        if (method.equals(HttpMethod.GET) && rest == 0) {
          return Reply.json(HttpResponseStatus.OK, metadata());
        }
        if (method.equals(HttpMethod.PUT) && rest == 1) {
          return putMetadata(path.get(2), request.content());
        }
        return notFound(request, target);
      case "shutdown":
        if (method.equals(HttpMethod.POST) && rest == 0) {
          return Reply.empty(HttpResponseStatus.NO_CONTENT);
        }
        return notFound(request, target);
      case "state":
        return state(request, target, path.subList(2, path.size()));
      case "publish":
        return publish(request, target, path.subList(2, path.size()));
      default:
        return notFound(request, target);
    }
  }

  /**
   * A request no Pillion route serves: 501 when daprd has a route for it (an API Pillion lacks, or
   * any path addressed to another app, which daprd invokes), else 404.
   */
  private static Reply notFound(FullHttpRequest request, RequestTarget target) {
    Optional<DaprApiError> unimplemented =
        UnimplementedApis.http(
            request.method().name(), target.segments(), name -> request.headers().get(name, ""));
    if (unimplemented.isPresent()) {
      return error(unimplemented.get());
    }
    return error(
        new DaprApiError(
            404,
            "ERR_NOT_FOUND",
            io.grpc.Status.Code.NOT_FOUND,
            "ERR_NOT_FOUND",
            "no route for "
                + RequestTarget.printable(request.method().name())
                + " "
                + RequestTarget.printable(target.rawPath())));
  }

  /** POST, or PUT, which daprd accepts as POST on its write routes. */
  private static boolean isPostOrPut(HttpMethod method) {
    return method.equals(HttpMethod.POST) || method.equals(HttpMethod.PUT);
  }

  /** {@code PUT /v1.0/metadata/{key}}: the body, as text, is the value. */
  private Reply putMetadata(String key, ByteBuf body) {
    String value;
    try {
      value =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(body.nioBuffer())
              .toString();
    } catch (CharacterCodingException e) {
      throw new DaprApiException(
          DaprApiError.malformed(
              "the value of extended metadata '"
                  + RequestTarget.printable(key)
                  + "' (the request body) is not UTF-8 text"));
    }
    metadata.put(key, value);
    return Reply.empty(HttpResponseStatus.NO_CONTENT);
  }

  /**
   * {@code POST /v1.0/publish/{pubsub}/{topic}} (body: the data, Content-Type: its type), and the
   * bulk forms {@code POST /v1.0-alpha1/publish/bulk/{pubsub}/{topic}} and {@code POST
   * /v1.0/publish/bulk/{pubsub}/{topic}} (body: {@code [{entryId, event, contentType, metadata}]}).
   */
  private Reply publish(FullHttpRequest request, RequestTarget target, List<String> path) {
    if (!isPostOrPut(request.method())) {
      return notFound(request, target);
    }
    if (!path.isEmpty() && path.get(0).equals("bulk")) {
      return bulkPublish(request, target, path.subList(1, path.size()));
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
            .metadata(metadata(target));
    Optional.ofNullable(request.headers().get("traceparent")).ifPresent(publish::traceparent);
    pubsub.publish(path.get(0), publish.build());
    return Reply.empty(HttpResponseStatus.NO_CONTENT);
  }

  private Reply bulkPublish(FullHttpRequest request, RequestTarget target, List<String> path) {
    if (path.isEmpty()) {
      throw new DaprApiException(DaprApiError.pubsubNotFound("", true));
    }
    String topic = path.size() > 1 ? String.join("/", path.subList(1, path.size())) : "";
    List<dev.pillion.pubsub.PubSub.BulkPublishEntry> entries = new ArrayList<>();
    int index = 0;
    for (JsonNode node : JsonBody.array(JsonBody.parse(request.content()), "the request body")) {
      String field = "[" + index++ + "]";
      ObjectNode entry = JsonBody.object(node, field);
      // A missing entryId is refused with the other entry id errors, by the building block.
      String entryId = JsonBody.optionalString(entry, "entryId", field + ".entryId").orElse("");
      JsonNode event = JsonBody.field(entry, "event");
      if (event == null) {
        throw JsonBody.malformed(field + ".event is missing");
      }
      String contentType =
          JsonBody.optionalString(entry, "contentType", field + ".contentType").orElse("");
      byte[] data =
          event.isTextual() && !contentType.contains("json")
              ? event.textValue().getBytes(StandardCharsets.UTF_8)
              : event.toString().getBytes(StandardCharsets.UTF_8);
      entries.add(
          new dev.pillion.pubsub.PubSub.BulkPublishEntry(
              entryId,
              data,
              contentType,
              JsonBody.stringMap(JsonBody.field(entry, "metadata"), field + ".metadata")));
    }
    List<dev.pillion.pubsub.PubSub.BulkPublishFailure> failures =
        pubsub.bulkPublish(path.get(0), topic, entries, metadata(target));
    ObjectNode response = JsonBody.JSON.createObjectNode();
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

  private Reply state(FullHttpRequest request, RequestTarget target, List<String> path) {
    HttpMethod method = request.method();
    if (path.isEmpty()) {
      return notFound(request, target);
    }
    String storeName = path.get(0);
    if (path.size() == 1 && isPostOrPut(method)) {
      StateStore store = gateway.store(storeName);
      Map<String, String> fromQuery = stateWriteMetadata(target, storeName);
      List<SaveRequest> saves = new ArrayList<>();
      int index = 0;
      for (JsonNode item : JsonBody.array(JsonBody.parse(request.content()), "the request body")) {
        saves.add(toSave(item, "[" + index++ + "]", fromQuery));
      }
      gateway.save(store, saves);
      return Reply.empty(HttpResponseStatus.NO_CONTENT);
    }
    if (path.size() == 2 && path.get(1).equals("bulk") && isPostOrPut(method)) {
      return bulkGet(gateway.store(storeName), JsonBody.parse(request.content()), target);
    }
    if (path.size() == 2 && path.get(1).equals("transaction") && isPostOrPut(method)) {
      return transaction(
          gateway.store(storeName),
          JsonBody.parse(request.content()),
          stateWriteMetadata(target, storeName));
    }
    if (path.size() == 2 && method.equals(HttpMethod.GET)) {
      return get(gateway.store(storeName), path.get(1), target);
    }
    if (path.size() == 2 && method.equals(HttpMethod.DELETE)) {
      StateStore store = gateway.store(storeName);
      DeleteRequest.Builder delete =
          DeleteRequest.builder(path.get(1))
              .concurrency(StateGateway.concurrency(target.parameter("concurrency")))
              .consistency(StateGateway.consistency(target.parameter("consistency")));
      metadata(target).forEach(delete::metadata);
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
    return notFound(request, target);
  }

  private Reply get(StateStore store, String key, RequestTarget target) {
    GetRequest get =
        GetRequest.builder(key)
            .consistency(StateGateway.consistency(target.parameter("consistency")))
            .metadata(metadata(target))
            .build();
    Optional<StateItem> item = gateway.run(StateOperation.GET, () -> store.get(get));
    if (item.isEmpty()) {
      return Reply.empty(HttpResponseStatus.NO_CONTENT);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    item.get().etag().ifPresent(etag -> headers.put("ETag", etag));
    headers.put(
        "Content-Type",
        item.get().contentType().filter(type -> !type.isEmpty()).orElse("application/json"));
    item.get().metadata().forEach((k, v) -> headers.put("metadata." + k, v));
    return new Reply(HttpResponseStatus.OK, item.get().value(), headers);
  }

  /**
   * {@code {keys: [string], metadata: {string: string}, parallelism: int}}; {@code metadata.*}
   * query parameters are added to the metadata, replacing the body's, as daprd does.
   */
  private Reply bulkGet(StateStore store, JsonNode body, RequestTarget target) {
    ObjectNode request = JsonBody.object(body, "the request body");
    List<String> keys = new ArrayList<>();
    int index = 0;
    for (JsonNode key : JsonBody.optionalArray(request, "keys", "keys")) {
      keys.add(JsonBody.string(key, "keys[" + index++ + "]"));
    }
    Map<String, String> metadata =
        new LinkedHashMap<>(JsonBody.stringMap(JsonBody.field(request, "metadata"), "metadata"));
    metadata.putAll(metadata(target));
    JsonBody.optionalInteger(request, "parallelism", "parallelism");
    List<BulkStateItem> items =
        gateway.run(StateOperation.BULK_GET, () -> store.bulkGet(keys, metadata));
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
    return Reply.json(HttpResponseStatus.OK, response);
  }

  /**
   * {@code {operations: [{operation: "upsert"|"delete", request: {...}}], metadata: {...}}}; no
   * operations is a successful no-op, as in daprd. The request's {@code metadata.*} query
   * parameters are added to the transaction's metadata and to every operation's, replacing theirs,
   * as daprd does.
   */
  private Reply transaction(StateStore store, JsonNode body, Map<String, String> fromQuery) {
    ObjectNode request = JsonBody.object(body, "the request body");
    List<JsonNode> given = JsonBody.optionalArray(request, "operations", "operations");
    Map<String, String> metadata =
        new LinkedHashMap<>(JsonBody.stringMap(JsonBody.field(request, "metadata"), "metadata"));
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
      return Reply.empty(HttpResponseStatus.NO_CONTENT);
    }
    gateway.run(
        StateOperation.TRANSACTION,
        () -> {
          store.transact(operations, metadata);
          return null;
        });
    return Reply.empty(HttpResponseStatus.NO_CONTENT);
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
      return JsonBody.parse(Unpooled.wrappedBuffer(value));
    } catch (DaprApiException e) {
      return JsonBody.JSON.getNodeFactory().textNode(new String(value, StandardCharsets.UTF_8));
    }
  }

  /** {@code GET /v1.0/metadata}, with daprd's field names. */
  private ObjectNode metadata() {
    ObjectNode body =
        JsonBody.JSON
            .createObjectNode()
            .put("id", metadata.appId())
            .put("runtimeVersion", metadata.runtimeVersion());
    ArrayNode components = body.putArray("components");
    for (Pillion.LoadedComponent component : metadata.components()) {
      ObjectNode entry =
          components
              .addObject()
              .put("name", component.name())
              .put("type", component.type())
              .put("version", component.version());
      ArrayNode capabilities = entry.putArray("capabilities");
      component.capabilities().forEach(capabilities::add);
    }
    ArrayNode subscriptions = body.putArray("subscriptions");
    for (MetadataGateway.ActiveSubscription active : metadata.subscriptions()) {
      dev.pillion.pubsub.SubscriptionDefinition subscription = active.definition();
      ObjectNode entry =
          subscriptions
              .addObject()
              .put("pubsubname", subscription.pubsubName())
              .put("topic", subscription.topic())
              .put("type", active.type().name())
              .put("deadLetterTopic", subscription.deadLetterTopic().orElse(""));
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
    ObjectNode extended = body.putObject("extended");
    metadata.extended().forEach(extended::put);
    return body;
  }

  /**
   * The {@code metadata.*} query parameters of a save or transaction, which daprd copies over every
   * item's metadata; the values Pillion interprets are checked here, so an error names the
   * parameter rather than every item.
   */
  private static Map<String, String> stateWriteMetadata(RequestTarget target, String store) {
    Map<String, String> fromQuery = metadata(target);
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

  private static Map<String, String> metadata(RequestTarget target) {
    Map<String, String> metadata = new LinkedHashMap<>();
    target
        .parameters()
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
        JsonBody.JSON
            .createObjectNode()
            .put("errorCode", error.errorCode())
            .put("message", error.message());
    return Reply.json(HttpResponseStatus.valueOf(error.httpStatus()), body);
  }

  /**
   * Writes the reply. A reply that cannot be a valid HTTP response (a stored content type with a
   * line break, say) becomes a 500 naming the header; a write that fails closes the connection.
   */
  private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, Reply reply) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    FullHttpResponse response;
    try {
      response = toResponse(reply, keepAlive);
    } catch (IllegalArgumentException e) {
      FailureLog.unexpected("writing the response to " + describe(request), e);
      response =
          toResponse(
              error(
                  new DaprApiError(
                      500,
                      "ERR_INTERNAL",
                      io.grpc.Status.Code.INTERNAL,
                      "ERR_INTERNAL",
                      "cannot send the response: " + e.getMessage())),
              keepAlive);
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    written.addListener(
        keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
  }

  private static FullHttpResponse toResponse(Reply reply, boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, reply.status(), Unpooled.wrappedBuffer(reply.body()));
    for (Map.Entry<String, String> header : reply.headers().entrySet()) {
      try {
        response.headers().set(header.getKey(), header.getValue());
      } catch (IllegalArgumentException e) {
        response.release();
        throw new IllegalArgumentException(
            "the response header '"
                + RequestTarget.printable(header.getKey())
                + "' would have the value '"
                + RequestTarget.printable(header.getValue())
                + "', which HTTP does not allow",
            e);
      }
    }
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    response
        .headers()
        .set(
            HttpHeaderNames.CONNECTION,
            keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    return response;
  }
}
