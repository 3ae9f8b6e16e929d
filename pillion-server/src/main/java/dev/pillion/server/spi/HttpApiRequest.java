package dev.pillion.server.spi;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP API request as a route's handler sees it: decoded path segments, the route's path
 * parameters, query parameters, headers and body. Valid while the handler runs: read what the
 * command needs before returning.
 */
public interface HttpApiRequest {
  /**
   * The method.
   *
   * @return e.g. {@code GET}
   */
  String method();

  /**
   * The path as sent (not decoded), for messages.
   *
   * @return e.g. {@code /v1.0/state/store/k}
   */
  String rawPath();

  /**
   * The decoded, non-empty path segments, the version first.
   *
   * @return e.g. {@code [v1.0, state, store, k]}
   */
  List<String> segments();

  /**
   * A parameter of the route's pattern: a {@code {name}} segment, or the segments a final {@code
   * {name...}} matched, joined with {@code /}.
   *
   * @param name the parameter's name in the pattern
   * @return its decoded value
   * @throws IllegalArgumentException when the route has no such parameter (a bug in the module)
   */
  String pathParameter(String name);

  /**
   * The first value of a query parameter.
   *
   * @param name the parameter
   * @return its first value, or "" when absent
   */
  String queryParameter(String name);

  /**
   * Dapr's request metadata: the first value of every {@code metadata.<key>} query parameter, by
   * key, in the order given.
   *
   * @return the metadata
   */
  Map<String, String> metadata();

  /**
   * A header.
   *
   * @param name its name, in any case
   * @return its first value, or empty when absent
   */
  Optional<String> header(String name);

  /**
   * The query string as sent, still percent-encoded.
   *
   * @return the part after {@code ?}, empty when there is none
   */
  String rawQuery();

  /**
   * Every header, each name (lower-cased) with all its values in order.
   *
   * @return the headers
   */
  Map<String, List<String>> headers();

  /**
   * The body.
   *
   * @return a copy of the body, empty when there is none
   */
  byte[] body();
}
