package dev.pillion.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.BulkEntry;
import dev.pillion.pubsub.BulkSubscribe;
import dev.pillion.pubsub.CloudEvents;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Routes;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.pubsub.SubscriptionSource;
import dev.pillion.server.DaprApiException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Flow;

/**
 * The app behind {@code --app-port}, as daprd talks to it: its subscriptions come from {@code GET
 * /dapr/subscribe}, and events are POSTed to the chosen route as {@code
 * application/cloudevents+json}, with the message's metadata as headers (and {@code pubsubname},
 * {@code traceparent}). The app answers 2xx (optionally with {@code {"status": "SUCCESS" | "RETRY"
 * | "DROP"}}); 404 drops the event; anything else is retried. Every JSON the app sends is read
 * through {@link JsonBody}, as daprd's Go structs read it.
 *
 * <p>A bulk subscription's batch is one POST of Dapr's bulk envelope ({@code type:
 * com.dapr.event.sent.bulk}, {@code entries[]} of {@code entryId}, {@code event}, {@code
 * contentType}, {@code metadata}) as {@code application/json}; the app answers {@code {"statuses":
 * [{"entryId": ..., "status": ...}]}}, and an entry without a status is retried.
 */
public final class HttpAppChannel implements AppChannel {
  private static final System.Logger LOG = System.getLogger(HttpAppChannel.class.getName());
  private static final String SUBSCRIBE_ANSWER = "the answer to GET /dapr/subscribe";

  /**
   * A refused connection on loopback costs microseconds, so the app's port is tried every 10 ms:
   * its subscriptions start (and the runtime turns ready) within 10 ms of the app listening.
   */
  private static final long LISTEN_POLL_MILLIS = 10;

  private static final int CONNECT_TIMEOUT_MILLIS = 1000;

  private final String host;
  private final int port;

  /** The type of daprd's bulk envelope. */
  static final String BULK_EVENT_TYPE = "com.dapr.event.sent.bulk";

  /**
   * Metadata that never becomes a header, as in daprd (the body's own headers, hop-by-hop headers,
   * the invocation target), plus the two the JDK's client refuses to set.
   */
  private static final java.util.Set<String> NOT_HEADERS =
      java.util.Set.of(
          "content-type",
          "content-length",
          "destination-app-id",
          "connection",
          "keep-alive",
          "proxy-connection",
          "transfer-encoding",
          "upgrade",
          "http2-settings",
          "te",
          "trailer",
          "proxy-authorization",
          "proxy-authenticate",
          "host",
          "expect");

  private final String base;
  private final HttpClient http;
  private final Duration timeout;

  /**
   * Creates the channel.
   *
   * @param host the app's host (loopback)
   * @param port the app's port
   * @param timeout how long one delivery may take
   */
  public HttpAppChannel(String host, int port, Duration timeout) {
    this.host = host;
    this.port = port;
    this.base = "http://" + host + ":" + port;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    this.timeout = timeout;
  }

  /**
   * Waits until the app accepts connections on its port, polling as often as a refused loopback
   * connection allows cheaply, so the subscriptions are read the moment the app listens.
   *
   * @param wait how long to wait for the app
   * @throws IOException when the app does not listen within {@code wait}
   * @throws InterruptedException if interrupted while waiting
   */
  public void awaitListening(Duration wait) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "the app did not accept connections on " + base + " within " + wait, e);
        }
      }
      Thread.sleep(LISTEN_POLL_MILLIS);
    }
  }

  /**
   * Reads the app's programmatic subscriptions ({@code GET /dapr/subscribe}). Entries that are not
   * valid subscriptions are skipped, each with one ERROR line naming it and what is wrong; the
   * others are returned.
   *
   * @return the subscriptions (none if the app has no {@code /dapr/subscribe})
   * @throws IOException when the app cannot be reached or its answer as a whole is not a list of
   *     subscriptions
   * @throws InterruptedException if interrupted while waiting for the answer
   */
  public List<SubscriptionDefinition> subscriptions() throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/dapr/subscribe")).timeout(timeout).GET().build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() == 404) {
      return List.of();
    }
    if (response.statusCode() / 100 != 2) {
      throw new IOException("GET /dapr/subscribe answered HTTP " + response.statusCode());
    }
    return parse(response.body());
  }

  /**
   * The subscriptions of a {@code /dapr/subscribe} answer, read as daprd's Go structs type them
   * (field names in any letter case: the Java SDK's Spring integration sends {@code pubsubName}).
   * An entry that is not a valid subscription is skipped with one ERROR line; the rest are
   * returned.
   */
  static List<SubscriptionDefinition> parse(byte[] body) throws IOException {
    JsonNode root;
    try {
      root = body.length == 0 ? JsonBody.JSON.nullNode() : JsonBody.parse(body, SUBSCRIBE_ANSWER);
    } catch (DaprApiException e) {
      throw new IOException(e.getMessage(), e);
    }
    if (root.isNull()) {
      return List.of();
    }
    if (!root.isArray()) {
      throw new IOException(
          SUBSCRIBE_ANSWER
              + " must be a JSON array of subscriptions, not "
              + JsonBody.describe(root));
    }
    List<SubscriptionDefinition> subscriptions = new ArrayList<>();
    for (int index = 0; index < root.size(); index++) {
      JsonNode entry = root.get(index);
      String name = describeEntry(entry, index);
      String problem;
      try {
        subscriptions.add(subscription(entry, "/dapr/subscribe[" + index + "]", name));
        continue;
      } catch (DaprApiException e) {
        problem = name + ": " + e.getMessage();
      } catch (IllegalArgumentException e) {
        // A routing rule that does not compile; Routes names the entry itself.
        problem = e.getMessage();
      }
      LOG.log(System.Logger.Level.ERROR, oneLine(problem) + "; this subscription is skipped");
    }
    return subscriptions;
  }

  /** One entry: {@code {pubsubname, topic, route | routes{rules[{match, path}], default}, ...}}. */
  private static SubscriptionDefinition subscription(JsonNode node, String origin, String name) {
    ObjectNode entry = JsonBody.object(node, "the entry");
    String pubsub = JsonBody.requiredString(entry, "pubsubname", "pubsubname");
    String topic = JsonBody.requiredString(entry, "topic", "topic");
    List<Map.Entry<String, String>> rules = new ArrayList<>();
    Optional<String> defaultRoute = Optional.empty();
    Optional<ObjectNode> routes = JsonBody.optionalObject(entry, "routes", "routes");
    if (routes.isPresent()) {
      int index = 0;
      for (JsonNode rule : JsonBody.optionalArray(routes.get(), "rules", "routes.rules")) {
        String at = "routes.rules[" + index++ + "]";
        ObjectNode ruleObject = JsonBody.object(rule, at);
        rules.add(
            Map.entry(
                JsonBody.optionalString(ruleObject, "match", at + ".match").orElse(""),
                JsonBody.optionalString(ruleObject, "path", at + ".path").orElse("")));
      }
      defaultRoute =
          JsonBody.optionalString(routes.get(), "default", "routes.default")
              .filter(path -> !path.isEmpty());
    }
    // As in daprd, "route" is the default when "routes" has none.
    Optional<String> route =
        JsonBody.optionalString(entry, "route", "route").filter(path -> !path.isEmpty());
    if (defaultRoute.isEmpty()) {
      defaultRoute = route;
    }
    if (rules.isEmpty() && defaultRoute.isEmpty()) {
      throw JsonBody.malformed("route or routes is required");
    }
    Map<String, String> metadata =
        JsonBody.stringMap(JsonBody.field(entry, "metadata"), "metadata");
    BulkSubscribe bulk;
    try {
      bulk = bulkSubscribe(JsonBody.field(entry, "bulkSubscribe"), name);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    SubscriptionDefinition.Builder builder =
        SubscriptionDefinition.builder(
                SubscriptionSource.PROGRAMMATIC, "app:" + pubsub + "/" + topic, pubsub, topic)
            .routes(
                rules.isEmpty()
                    ? Routes.single(defaultRoute.get())
                    : defaultRoute
                        .map(path -> Routes.of(rules, path, name))
                        .orElseGet(() -> Routes.of(rules, name)))
            .metadata(metadata)
            .origin(origin)
            .bulkSubscribe(bulk);
    JsonBody.optionalString(entry, "deadLetterTopic", "deadLetterTopic")
        .ifPresent(builder::deadLetterTopic);
    SubscriptionDefinition definition = builder.build();
    definition.rawPayload(); // refused here, naming the subscription, rather than at delivery
    return definition;
  }

  /** A message as one log line (CEL's errors show the expression on lines of their own). */
  private static String oneLine(String message) {
    return message.replaceAll("\\s*\\R\\s*", " ");
  }

  /** Names an entry for the log: its index and, where they are readable, pubsub and topic. */
  private static String describeEntry(JsonNode entry, int index) {
    String name = "/dapr/subscribe[" + index + "]";
    if (!(entry instanceof ObjectNode object)) {
      return name;
    }
    List<String> known = new ArrayList<>();
    JsonNode pubsub = JsonBody.field(object, "pubsubname");
    if (pubsub != null && pubsub.isTextual()) {
      known.add("pubsub '" + RequestTarget.printable(pubsub.textValue()) + "'");
    }
    JsonNode topic = JsonBody.field(object, "topic");
    if (topic != null && topic.isTextual()) {
      known.add("topic '" + RequestTarget.printable(topic.textValue()) + "'");
    }
    return known.isEmpty() ? name : name + " (" + String.join(", ", known) + ")";
  }

  /**
   * An entry's {@code bulkSubscribe}: {@code enabled}, {@code maxMessagesCount}, {@code
   * maxAwaitDurationMs} (absent or 0: Dapr's defaults, 100 and 1000).
   */
  static BulkSubscribe bulkSubscribe(JsonNode bulk, String where) throws IOException {
    if (bulk == null || bulk.isNull()) {
      return BulkSubscribe.disabled();
    }
    if (!bulk.isObject()) {
      throw new IOException(where + ": bulkSubscribe must be an object, got " + bulk);
    }
    JsonNode enabled = bulk.path("enabled");
    if (!enabled.isMissingNode() && !enabled.isNull() && !enabled.isBoolean()) {
      throw new IOException(
          where + ": bulkSubscribe.enabled must be true or false, got " + enabled);
    }
    try {
      return BulkSubscribe.of(
          enabled.asBoolean(false),
          wholeNumber(bulk.path("maxMessagesCount"), where, "maxMessagesCount"),
          wholeNumber(bulk.path("maxAwaitDurationMs"), where, "maxAwaitDurationMs"));
    } catch (IllegalArgumentException e) {
      throw new IOException(where + ": " + e.getMessage(), e);
    }
  }

  private static long wholeNumber(JsonNode value, String where, String field) throws IOException {
    if (value.isMissingNode() || value.isNull()) {
      return 0;
    }
    if (!value.canConvertToExactIntegral() || !value.canConvertToLong()) {
      throw new IOException(
          where + ": bulkSubscribe." + field + " must be a whole number, got " + value);
    }
    return value.asLong();
  }

  private URI uri(String route) {
    return URI.create(base + (route.startsWith("/") ? route : "/" + route));
  }

  /**
   * The headers daprd sends with an event: the message's metadata, lower-cased, except what is not
   * a header ({@link #NOT_HEADERS}, names ending in {@code -bin}, and names or values HTTP cannot
   * carry); {@code grpc-*} names and gRPC's reserved ones get daprd's {@code dapr-} prefix; then
   * {@code pubsubname} and the trace context, from the metadata or else from the event.
   */
  static void addDeliveryHeaders(HttpRequest.Builder request, Event event) {
    String traceparent = null;
    String tracestate = null;
    for (Map.Entry<String, String> entry : event.metadata().entrySet()) {
      String name = entry.getKey().toLowerCase(Locale.ROOT);
      switch (name) {
        case "traceparent" -> traceparent = entry.getValue();
        case "tracestate" -> tracestate = entry.getValue();
        case "pubsubname" -> {
          // Set below from the subscription's pub/sub, as daprd overwrites it.
        }
        default -> {
          if (NOT_HEADERS.contains(name) || name.endsWith("-bin")) {
            continue;
          }
          if (name.startsWith("grpc-")) {
            name = "dapr-" + name;
          } else if (name.equals(":method")
              || name.equals(":scheme")
              || name.equals(":path")
              || name.equals(":authority")) {
            name = "dapr-" + name.substring(1);
          }
          try {
            request.header(name, entry.getValue());
          } catch (IllegalArgumentException e) {
            // daprd's Go client fails the whole delivery (and retries it forever) on such a header;
            // the event matters more than one metadata entry.
            LOG.log(
                System.Logger.Level.DEBUG,
                () ->
                    "event "
                        + event.id()
                        + ": metadata '"
                        + entry.getKey()
                        + "' is not a valid HTTP header; not sent");
          }
        }
      }
    }
    request.header("pubsubname", event.pubsubName());
    if (traceparent == null) {
      traceparent = event.attribute("traceparent").orElse(null);
      tracestate = traceparent == null ? null : event.attribute("tracestate").orElse(null);
    }
    if (traceparent != null) {
      trySetHeader(request, "traceparent", traceparent);
      if (tracestate != null) {
        trySetHeader(request, "tracestate", tracestate);
      }
    }
  }

  private static void trySetHeader(HttpRequest.Builder request, String name, String value) {
    try {
      request.header(name, value);
    } catch (IllegalArgumentException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> name + " '" + value + "' is not a valid header");
    }
  }

  /**
   * What the app receives for an event: the CloudEvent. A message that is not one (published raw,
   * delivered to a subscription without rawPayload) goes as daprd sends it when it is a JSON
   * object, as it is; anything else daprd cannot deliver at all (it fails to decode it, and retries
   * it for good), so it goes wrapped as daprd wraps raw payloads, a CloudEvent with {@code
   * data_base64}: the app still gets the bytes, in the envelope it expects. The event's bytes are
   * sent from a read-only view, not copied.
   */
  private static ByteBuffer body(Event event) {
    if (!event.specVersion().isEmpty() || event.cloudEventIsJsonObject()) {
      return event.cloudEventBuffer();
    }
    return CloudEvents.fromRawPayload(
            event.data(),
            event.id(),
            event.topic(),
            event.pubsubName(),
            event.metadata(),
            event.deliveryCount())
        .cloudEventBuffer();
  }

  /** A request body of one buffer's bytes, sent without copying them into an array first. */
  private static HttpRequest.BodyPublisher bodyOf(ByteBuffer bytes) {
    return HttpRequest.BodyPublishers.fromPublisher(
        subscriber ->
            subscriber.onSubscribe(
                new Flow.Subscription() {
                  private boolean done;

                  @Override
                  public void request(long n) {
                    if (done) {
                      return;
                    }
                    done = true;
                    if (n <= 0) {
                      subscriber.onError(
                          new IllegalArgumentException("non-positive request: " + n));
                      return;
                    }
                    subscriber.onNext(bytes.duplicate());
                    subscriber.onComplete();
                  }

                  @Override
                  public void cancel() {
                    done = true;
                  }
                }),
        bytes.remaining());
  }

  @Override
  public DeliveryResult deliver(String route, Event event)
      throws IOException, InterruptedException {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(uri(route))
            .timeout(timeout)
            .header("Content-Type", CloudEvents.CONTENT_TYPE);
    addDeliveryHeaders(builder, event);
    HttpRequest request = builder.POST(bodyOf(body(event))).build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    int status = response.statusCode();
    if (status == 404) {
      LOG.log(
          System.Logger.Level.WARNING,
          "app answered 404 for route " + route + "; event " + event.id() + " dropped");
      return DeliveryResult.DROP;
    }
    if (status / 100 != 2) {
      return DeliveryResult.RETRY;
    }
    return status(response.body(), route, event.id());
  }

  /**
   * What a 2xx answer's body says, as daprd reads it: {@code {"status": "SUCCESS" | "RETRY" |
   * "DROP"}} in any letter case, an empty body or status is a success, an unknown status is
   * retried, and a body that does not decode as that object (not JSON, not an object, a status that
   * is not a string) is a success whose status is not checked.
   */
  static DeliveryResult status(byte[] body, String route, String eventId) {
    if (body.length == 0) {
      return DeliveryResult.SUCCESS;
    }
    JsonNode answer;
    try {
      answer = JsonBody.parse(body, "the app's answer");
    } catch (DaprApiException e) {
      return DeliveryResult.SUCCESS;
    }
    JsonNode status = answer instanceof ObjectNode object ? JsonBody.field(object, "status") : null;
    if (status == null || !status.isTextual()) {
      return DeliveryResult.SUCCESS;
    }
    return switch (status.textValue().toUpperCase(Locale.ROOT)) {
      case "", "SUCCESS" -> DeliveryResult.SUCCESS;
      case "RETRY" -> DeliveryResult.RETRY;
      case "DROP" -> DeliveryResult.DROP;
      default -> {
        LOG.log(
            System.Logger.Level.WARNING,
            "app answered unknown status '"
                + RequestTarget.printable(status.textValue())
                + "' for event "
                + eventId
                + " on route "
                + route
                + "; retrying");
        yield DeliveryResult.RETRY;
      }
    };
  }

  /**
   * POSTs a batch as daprd's bulk envelope and reads the app's per-entry statuses. A CloudEvent
   * entry's {@code event} is the CloudEvent ({@code contentType: application/cloudevents+json}); a
   * raw-payload subscription's entry, or a message that is not a CloudEvent, is its bytes in base64
   * ({@code contentType: application/octet-stream}), as daprd sends them. 404 drops every entry;
   * another failure status, or a 2xx whose body is not {@code {"statuses": [...]}}, answers none
   * (they are retried).
   */
  @Override
  public Map<String, DeliveryResult> deliverBulk(String route, List<BulkEntry> entries)
      throws IOException, InterruptedException {
    Event first = entries.get(0).event();
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(uri(route))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("pubsubname", first.pubsubName());
    HttpRequest request =
        builder.POST(HttpRequest.BodyPublishers.ofByteArray(bulkEnvelope(entries))).build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    int status = response.statusCode();
    Map<String, DeliveryResult> results = new LinkedHashMap<>();
    if (status == 404) {
      LOG.log(
          System.Logger.Level.WARNING,
          "app answered 404 for route " + route + "; " + entries.size() + " events dropped");
      entries.forEach(entry -> results.put(entry.entryId(), DeliveryResult.DROP));
      return results;
    }
    if (status / 100 != 2) {
      LOG.log(
          System.Logger.Level.DEBUG,
          () -> "app answered HTTP " + status + " to a bulk delivery to " + route);
      return results;
    }
    JsonNode statuses;
    try {
      JsonNode body = JsonBody.JSON.readTree(response.body());
      statuses = body instanceof ObjectNode object ? JsonBody.field(object, "statuses") : null;
    } catch (IOException e) {
      statuses = null;
    }
    if (statuses == null || !statuses.isArray()) {
      LOG.log(
          System.Logger.Level.INFO,
          "app's answer to a bulk delivery to "
              + route
              + " is not {\"statuses\": [...]}; its "
              + entries.size()
              + " events are retried");
      return results;
    }
    for (JsonNode answer : statuses) {
      if (!(answer instanceof ObjectNode object)) {
        continue;
      }
      JsonNode entryId = JsonBody.field(object, "entryId");
      JsonNode outcome = JsonBody.field(object, "status");
      if (entryId == null || !entryId.isTextual()) {
        continue;
      }
      String text = outcome == null ? "" : outcome.asText("").toUpperCase(Locale.ROOT);
      results.put(
          entryId.asText(),
          switch (text) {
            case "SUCCESS" -> DeliveryResult.SUCCESS;
            case "DROP" -> DeliveryResult.DROP;
            // An empty status is a retry in a bulk answer (daprd), unlike a single answer's.
            default -> DeliveryResult.RETRY;
          });
    }
    return results;
  }

  /** The JSON body of a bulk delivery. */
  static byte[] bulkEnvelope(List<BulkEntry> entries) throws IOException {
    Event first = entries.get(0).event();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(1024 * entries.size());
    try (com.fasterxml.jackson.core.JsonGenerator json =
        JsonBody.JSON.getFactory().createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("id", java.util.UUID.randomUUID().toString());
      json.writeStringField("type", BULK_EVENT_TYPE);
      json.writeStringField("topic", first.topic());
      json.writeStringField("pubsubname", first.pubsubName());
      json.writeObjectFieldStart("metadata");
      json.writeStringField("pubsubName", first.pubsubName());
      json.writeEndObject();
      json.writeArrayFieldStart("entries");
      for (BulkEntry entry : entries) {
        Event event = entry.event();
        json.writeStartObject();
        json.writeStringField("entryId", entry.entryId());
        // Known to be one JSON object from the delivery's one read, and copied as it is.
        if (!entry.rawPayload()
            && !event.specVersion().isEmpty()
            && event.cloudEventIsJsonObject()) {
          json.writeFieldName("event");
          json.writeRawValue(StandardCharsets.UTF_8.decode(event.cloudEventBuffer()).toString());
          json.writeStringField("contentType", CloudEvents.CONTENT_TYPE);
        } else {
          ByteBuffer bytes = entry.rawPayload() ? event.dataBuffer() : event.cloudEventBuffer();
          json.writeFieldName("event");
          json.writeBinary(new ByteBufferBackedInputStream(bytes), bytes.remaining());
          json.writeStringField("contentType", "application/octet-stream");
        }
        json.writeObjectFieldStart("metadata");
        for (Map.Entry<String, String> metadata : event.metadata().entrySet()) {
          json.writeStringField(metadata.getKey(), metadata.getValue());
        }
        json.writeEndObject();
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    }
    return out.toByteArray();
  }
}
