package dev.pillion.server.app;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.Objects;

/**
 * Probes an HTTP app as daprd does: {@code GET} of the health check path on the app's port, healthy
 * when the app answers 2xx within the timeout; a refused connection, an error status or no answer
 * in time is a failed probe. One probe at a time, from the checker's thread, so a blocking client
 * with no threads of its own is enough.
 */
public final class HttpAppHealthProbe implements AppHealthProbe {
  private static final System.Logger LOG = System.getLogger(HttpAppHealthProbe.class.getName());

  private final URL url;

  private HttpAppHealthProbe(URL url) {
    this.url = url;
  }

  /**
   * Creates a probe of an app on this machine.
   *
   * @param host the app's host, e.g. {@code 127.0.0.1}
   * @param port the app's port
   * @param path the health check path, starting with {@code /} (daprd's default {@code /healthz})
   * @return the probe
   * @throws IllegalArgumentException when the path does not start with {@code /} or the port is out
   *     of range
   */
  public static HttpAppHealthProbe create(String host, int port, String path) {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException(
          "app health check path must start with '/', got '" + path + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("app port must be between 1 and 65535, got " + port);
    }
    try {
      return new HttpAppHealthProbe(URI.create("http://" + host + ":" + port + path).toURL());
    } catch (IllegalArgumentException | java.net.MalformedURLException e) {
      throw new IllegalArgumentException(
          "app health check path '" + path + "' is not a valid URL path: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean healthy(Duration timeout) {
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try {
      HttpURLConnection connection = (HttpURLConnection) url.openConnection();
      connection.setRequestMethod("GET");
      connection.setConnectTimeout(millis);
      connection.setReadTimeout(millis);
      connection.setUseCaches(false);
      int status = connection.getResponseCode();
      drain(connection, status);
      return status >= 200 && status < 300;
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "app health probe of " + url + " failed: " + e);
      return false;
    }
  }

  /** Reads the answer to its end, so the connection can be kept alive for the next probe. */
  private static void drain(HttpURLConnection connection, int status) throws IOException {
    try (InputStream body =
        status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
      if (body != null) {
        body.transferTo(java.io.OutputStream.nullOutputStream());
      }
    }
  }

  @Override
  public String toString() {
    return "GET " + url;
  }
}
