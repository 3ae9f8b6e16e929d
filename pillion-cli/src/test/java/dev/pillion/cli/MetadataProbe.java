package dev.pillion.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An application {@link RunCommandTest} starts under {@code pillion run}: it waits (at most 30 s)
 * until the metadata API lists its own pid as {@code appPID}, then writes the metadata (the JSON of
 * {@code GET /v1.0/metadata}) to the file given as its argument.
 */
public final class MetadataProbe {
  private MetadataProbe() {}

  /**
   * Runs the probe.
   *
   * @param args the output file
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI metadata =
        URI.create("http://127.0.0.1:" + System.getenv("DAPR_HTTP_PORT") + "/v1.0/metadata");
    String pid = "\"appPID\":\"" + ProcessHandle.current().pid() + "\"";
    long deadline = System.nanoTime() + 30_000_000_000L;
    String body = "";
    while (!body.contains(pid) && System.nanoTime() < deadline) {
      body =
          http.send(HttpRequest.newBuilder(metadata).build(), HttpResponse.BodyHandlers.ofString())
              .body();
      Thread.sleep(20);
    }
    Files.writeString(Path.of(args[0]), body);
  }
}
