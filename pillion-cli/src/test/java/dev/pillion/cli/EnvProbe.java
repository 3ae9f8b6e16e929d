package dev.pillion.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The application {@link RunCommandTest} starts under {@code pillion run}: it records the
 * environment it was given, saves and reads state through the HTTP API, and exits with the code
 * given as its second argument.
 */
public final class EnvProbe {
  private EnvProbe() {}

  /**
   * Runs the probe.
   *
   * @param args the output file and the exit code
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    String port = System.getenv("DAPR_HTTP_PORT");
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + port + "/v1.0/state/statestore";
    int saved =
        http.send(
                HttpRequest.newBuilder(URI.create(base))
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "[{\"key\":\"probe\",\"value\":\"hello\"}]"))
                    .build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode();
    String read =
        http.send(
                HttpRequest.newBuilder(URI.create(base + "/probe")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Files.writeString(
        Path.of(args[0]),
        String.join(
            "\n",
            "DAPR_HTTP_PORT=" + port,
            "DAPR_GRPC_PORT=" + System.getenv("DAPR_GRPC_PORT"),
            "APP_ID=" + System.getenv("APP_ID"),
            "APP_PORT=" + System.getenv("APP_PORT"),
            "APP_PROTOCOL=" + System.getenv("APP_PROTOCOL"),
            "saved=" + saved,
            "read=" + read));
    System.exit(Integer.parseInt(args[1]));
  }
}
