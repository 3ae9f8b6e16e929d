package dev.pillion.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.CloudEvents;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Routes;
import dev.pillion.pubsub.SubscriptionDefinition;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The app behind {@code --app-port}, as daprd talks to it: its subscriptions come from {@code GET
 * /dapr/subscribe}, and events are POSTed to the chosen route as {@code
 * application/cloudevents+json}. The app answers 2xx (optionally with {@code {"status": "SUCCESS" |
 * "RETRY" | "DROP"}}); 404 drops the event; anything else is retried.
 */
public final class HttpAppChannel implements AppChannel {
  private static final System.Logger LOG = System.getLogger(HttpAppChannel.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

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
    this.base = "http://" + host + ":" + port;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    this.timeout = timeout;
  }

  /**
   * Waits for the app to accept connections, then reads its programmatic subscriptions.
   *
   * @param wait how long to wait for the app
   * @return the subscriptions (none if the app has no {@code /dapr/subscribe})
   * @throws IOException when the app does not come up in time or answers something that is not a
   *     subscription list
   * @throws InterruptedException if interrupted while waiting
   */
  public List<SubscriptionDefinition> subscriptions(Duration wait)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/dapr/subscribe")).timeout(timeout).GET().build();
    while (true) {
      try {
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 404) {
          return List.of();
        }
        if (response.statusCode() / 100 != 2) {
          throw new IOException("GET /dapr/subscribe answered HTTP " + response.statusCode());
        }
        return parse(response.body());
      } catch (ConnectException e) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "the app did not accept connections on " + base + " within " + wait, e);
        }
        Thread.sleep(100);
      }
    }
  }

  static List<SubscriptionDefinition> parse(byte[] body) throws IOException {
    JsonNode root = body.length == 0 ? JSON.createArrayNode() : JSON.readTree(body);
    if (!root.isArray()) {
      throw new IOException("GET /dapr/subscribe must answer a JSON array of subscriptions");
    }
    List<SubscriptionDefinition> subscriptions = new ArrayList<>();
    int index = 0;
    for (JsonNode entry : root) {
      String where = "/dapr/subscribe[" + index++ + "]";
      String pubsub = entry.path("pubsubname").asText("");
      String topic = entry.path("topic").asText("");
      if (pubsub.isEmpty() || topic.isEmpty()) {
        throw new IOException(where + ": pubsubname and topic are required");
      }
      Routes routes;
      JsonNode routesNode = entry.get("routes");
      if (routesNode != null && routesNode.isObject()) {
        List<Map.Entry<String, String>> rules = new ArrayList<>();
        for (JsonNode rule : routesNode.path("rules")) {
          rules.add(Map.entry(rule.path("match").asText(""), rule.path("path").asText("")));
        }
        Optional<String> defaultRoute =
            routesNode.hasNonNull("default")
                ? Optional.of(routesNode.get("default").asText())
                : Optional.empty();
        try {
          routes = Routes.of(rules, defaultRoute, where);
        } catch (IllegalArgumentException e) {
          throw new IOException(e.getMessage(), e);
        }
      } else if (entry.hasNonNull("route")) {
        routes = Routes.single(entry.get("route").asText());
      } else {
        throw new IOException(where + ": route or routes is required");
      }
      Map<String, String> metadata = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> fields = entry.path("metadata").fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        metadata.put(field.getKey(), field.getValue().asText());
      }
      Optional<String> deadLetter =
          entry.hasNonNull("deadLetterTopic")
              ? Optional.of(entry.get("deadLetterTopic").asText())
              : Optional.empty();
      subscriptions.add(
          new SubscriptionDefinition(
              "app:" + pubsub + "/" + topic,
              pubsub,
              topic,
              routes,
              deadLetter,
              List.of(),
              metadata,
              where));
    }
    return subscriptions;
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
    if (response.body().length == 0) {
      return DeliveryResult.SUCCESS;
    }
    try {
      JsonNode body = JSON.readTree(response.body());
      String answer = body == null ? "" : body.path("status").asText("");
      return switch (answer.toUpperCase(Locale.ROOT)) {
        case "", "SUCCESS" -> DeliveryResult.SUCCESS;
        case "RETRY" -> DeliveryResult.RETRY;
        case "DROP" -> DeliveryResult.DROP;
        default -> {
          LOG.log(
              System.Logger.Level.WARNING,
              "app answered unknown status '" + answer + "'; retrying");
          yield DeliveryResult.RETRY;
        }
      };
    } catch (IOException e) {
      // A 2xx with a body that is not JSON is a success, as in daprd.
      return DeliveryResult.SUCCESS;
    }
  }
}
