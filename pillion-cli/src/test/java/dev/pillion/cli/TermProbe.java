package dev.pillion.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The application {@link RunCommandTest} stops with a signal: it saves a state item through the
 * runtime, says it is ready, then waits; asked to stop, it records that and exits with the code
 * given.
 */
public final class TermProbe {
  private TermProbe() {}

  /**
   * Runs the probe.
   *
   * @param args the ready file, the stopped file and the exit code to stop with
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path ready = Path.of(args[0]);
    Path stopped = Path.of(args[1]);
    int code = Integer.parseInt(args[2]);
    int saved =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + System.getenv("DAPR_HTTP_PORT")
                                + "/v1.0/state/statestore"))
                    .POST(HttpRequest.BodyPublishers.ofString("[{\"key\":\"t\",\"value\":1}]"))
                    .build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    Files.writeString(stopped, "stopped");
                  } catch (java.io.IOException e) {
                    // the exit code still tells
                  }
                  Runtime.getRuntime().halt(code);
                }));
    Files.writeString(ready, "saved=" + saved);
    Thread.sleep(Long.MAX_VALUE);
  }
}
