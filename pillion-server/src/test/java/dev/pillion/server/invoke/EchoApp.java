package dev.pillion.server.invoke;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A test app behind {@code --app-port}: answers every request with what it received as JSON (verb,
 * path, raw query, headers with all values, body), headers {@code x-served-by} and two {@code
 * set-cookie}; a path {@code /status/NNN} answers status NNN with a text body, {@code /empty} 204
 * without one.
 */
final class EchoApp implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;

  private EchoApp(HttpServer server) {
    this.server = server;
  }

  static EchoApp start(String name) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", exchange -> answer(name, exchange));
    server.start();
    return new EchoApp(server);
  }

  int port() {
    return server.getAddress().getPort();
  }

  private static void answer(String name, HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    String path = exchange.getRequestURI().getRawPath();
    exchange.getResponseHeaders().add("x-served-by", name);
    exchange.getResponseHeaders().add("set-cookie", "a=1");
    exchange.getResponseHeaders().add("set-cookie", "b=2");
    if (path.equals("/empty")) {
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
      return;
    }
    if (path.startsWith("/status/")) {
      int status = Integer.parseInt(path.substring("/status/".length()));
      byte[] text = ("status " + status + " from " + name).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("content-type", "text/plain");
      exchange.sendResponseHeaders(status, text.length);
      exchange.getResponseBody().write(text);
      exchange.close();
      return;
    }
    ObjectNode echo = JSON.createObjectNode();
    echo.put("app", name);
    echo.put("verb", exchange.getRequestMethod());
    echo.put("path", path);
    echo.put(
        "query",
        exchange.getRequestURI().getRawQuery() == null
            ? ""
            : exchange.getRequestURI().getRawQuery());
    ObjectNode headers = echo.putObject("headers");
    for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
      headers.put(header.getKey().toLowerCase(Locale.ROOT), String.join(",", header.getValue()));
    }
    echo.put("body", new String(body, StandardCharsets.UTF_8));
    byte[] answer = JSON.writeValueAsBytes(echo);
    exchange.getResponseHeaders().add("content-type", "application/json");
    exchange.sendResponseHeaders(200, answer.length);
    exchange.getResponseBody().write(answer);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
