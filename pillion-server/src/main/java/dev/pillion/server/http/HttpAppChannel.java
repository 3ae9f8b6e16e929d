package dev.pillion.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.CloudEvents;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Routes;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.server.DaprApiException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The app behind {@code --app-port}, as daprd talks to it: its subscriptions come from {@code GET
 * /dapr/subscribe}, and events are POSTed to the chosen route as {@code
 * application/cloudevents+json}. The app answers 2xx (optionally with {@code {"status": "SUCCESS" |
 * "RETRY" | "DROP"}}); 404 drops the event; anything else is retried. Every JSON the app sends is
 * read through {@link JsonBody}, as daprd's Go structs read it.
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
    Optional<String> deadLetter =
        JsonBody.optionalString(entry, "deadLetterTopic", "deadLetterTopic");
    return new SubscriptionDefinition(
        "app:" + pubsub + "/" + topic,
        pubsub,
        topic,
        rules.isEmpty() ? Routes.single(defaultRoute.get()) : Routes.of(rules, defaultRoute, name),
        deadLetter,
        List.of(),
        metadata,
        origin);
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

  @Override
  public DeliveryResult deliver(String route, Event event)
      throws IOException, InterruptedException {
    boolean raw = CloudEvents.raw(event.metadata());
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + (route.startsWith("/") ? route : "/" + route)))
            .timeout(timeout)
            .header("Content-Type", raw ? "application/octet-stream" : CloudEvents.CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofByteArray(event.cloudEvent()))
            .build();
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
}
