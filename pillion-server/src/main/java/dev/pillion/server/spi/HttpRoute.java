package dev.pillion.server.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * An HTTP route of the Dapr API: the methods it takes, a path pattern and the handler. A pattern is
 * the path's segments after a leading {@code /}: literal segments, {@code {name}} for exactly one
 * segment, and a final {@code {name...}} for one or more segments (joined with {@code /} as the
 * parameter's value), e.g. {@code /v1.0/state/{store}/{key}} or {@code
 * /v1.0/publish/{pubsub}/{topic...}}. Matching is on decoded segments, so {@code a%2Fb} is one
 * segment {@code a/b}. Immutable.
 */
public final class HttpRoute {
  /** Answers a request a route matched. */
  @FunctionalInterface
  public interface Handler {
    /**
     * Handles a request: maps it to a command, runs it, renders the result. Failures are reported
     * by throwing or by completing the stage exceptionally with a {@link
     * dev.pillion.server.DaprApiException} (daprd's error) or any other exception (a 500).
     *
     * @param request the request
     * @return the reply, complete when this returns unless a blocking component is called
     */
    CompletionStage<HttpReply> handle(HttpApiRequest request);
  }

  private static final String ANY_METHOD = "*";

  private final Set<String> methods;
  private final String pattern;
  private final String[] literals;
  private final String[] parameters;
  private final boolean rest;
  private final boolean apiTokenRequired;
  private final Handler handler;

  private HttpRoute(
      Set<String> methods, String pattern, Handler handler, boolean apiTokenRequired) {
    this.methods = methods;
    this.pattern = pattern;
    this.handler = handler;
    this.apiTokenRequired = apiTokenRequired;
    if (!pattern.startsWith("/") || pattern.length() < 2 || pattern.endsWith("/")) {
      throw new IllegalArgumentException(
          "a route pattern starts with '/' and has at least one segment and no trailing '/': '"
              + pattern
              + "'");
    }
    String[] segments = pattern.substring(1).split("/", -1);
    this.literals = new String[segments.length];
    this.parameters = new String[segments.length];
    boolean endsWithRest = false;
    for (int i = 0; i < segments.length; i++) {
      String segment = segments[i];
      if (segment.isEmpty()) {
        throw new IllegalArgumentException(
            "the route pattern '" + pattern + "' has an empty segment");
      }
      if (segment.startsWith("{") && segment.endsWith("}")) {
        String name = segment.substring(1, segment.length() - 1);
        if (name.endsWith("...")) {
          if (i != segments.length - 1) {
            throw new IllegalArgumentException(
                "in the route pattern '" + pattern + "', only the last segment may be {name...}");
          }
          name = name.substring(0, name.length() - 3);
          endsWithRest = true;
        }
        if (name.isEmpty() || name.contains("{") || name.contains("}")) {
          throw new IllegalArgumentException(
              "the route pattern '" + pattern + "' has a parameter without a name: " + segment);
        }
        parameters[i] = name;
      } else if (segment.contains("{") || segment.contains("}")) {
        throw new IllegalArgumentException(
            "in the route pattern '"
                + pattern
                + "', a parameter must be a whole segment: "
                + segment);
      } else {
        literals[i] = segment;
      }
    }
    this.rest = endsWithRest;
  }

  /**
   * A route that requires the API token when the server has one.
   *
   * @param methods the methods it takes, separated by spaces (e.g. {@code "POST PUT"}), or {@code
   *     *} for any
   * @param pattern the path pattern
   * @param handler the handler
   * @return the route
   * @throws IllegalArgumentException for a malformed pattern or no methods
   */
  public static HttpRoute create(String methods, String pattern, Handler handler) {
    Objects.requireNonNull(methods, "methods");
    Objects.requireNonNull(pattern, "pattern");
    Objects.requireNonNull(handler, "handler");
    Set<String> allowed =
        methods.equals(ANY_METHOD) ? Set.of() : Set.of(methods.trim().split("\\s+"));
    if (allowed.contains("") || allowed.contains(ANY_METHOD)) {
      throw new IllegalArgumentException(
          "the route " + pattern + " names no methods or mixes * with methods: '" + methods + "'");
    }
    return new HttpRoute(allowed, pattern, handler, true);
  }

  /**
   * This route, served without the API token (daprd exempts only its health checks, so
   * orchestrators can probe).
   *
   * @return the route without the token requirement
   */
  public HttpRoute withoutApiToken() {
    return new HttpRoute(methods, pattern, handler, false);
  }

  /**
   * The methods the route takes.
   *
   * @return the methods; empty means any
   */
  public Set<String> methods() {
    return methods;
  }

  /**
   * The pattern, as given.
   *
   * @return e.g. {@code /v1.0/state/{store}/{key}}
   */
  public String pattern() {
    return pattern;
  }

  /**
   * The pattern with its parameter names left out, so two patterns that match the same paths have
   * the same shape.
   *
   * @return e.g. {@code /v1.0/state/{}/{}}
   */
  public String shape() {
    StringBuilder shape = new StringBuilder();
    for (int i = 0; i < literals.length; i++) {
      shape.append('/');
      shape.append(
          literals[i] != null ? literals[i] : rest && i == literals.length - 1 ? "{...}" : "{}");
    }
    return shape.toString();
  }

  /**
   * The literal segment at a position of the pattern.
   *
   * @param index the position, from 0
   * @return the literal, or "" when that segment is a parameter or the pattern is shorter
   */
  public String literalAt(int index) {
    return index < literals.length && literals[index] != null ? literals[index] : "";
  }

  /**
   * Whether the server asks for the API token before this route.
   *
   * @return false for the health checks
   */
  public boolean apiTokenRequired() {
    return apiTokenRequired;
  }

  /**
   * The handler.
   *
   * @return the handler
   */
  public Handler handler() {
    return handler;
  }

  /**
   * Whether the route takes a method.
   *
   * @param method the request's method
   * @return true when it takes it
   */
  public boolean takes(String method) {
    return methods.isEmpty() || methods.contains(method);
  }

  /**
   * Whether the route's pattern matches a path.
   *
   * @param segments the decoded path segments
   * @return true when it matches
   */
  public boolean matchesPath(List<String> segments) {
    int fixed = rest ? literals.length - 1 : literals.length;
    if (rest ? segments.size() <= fixed : segments.size() != fixed) {
      return false;
    }
    for (int i = 0; i < fixed; i++) {
      if (literals[i] != null && !literals[i].equals(segments.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The path parameters of a path the pattern matches.
   *
   * @param segments the decoded path segments, matched by {@link #matchesPath}
   * @return the parameters by name
   */
  public Map<String, String> parameters(List<String> segments) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < parameters.length; i++) {
      if (parameters[i] == null) {
        continue;
      }
      values.put(
          parameters[i],
          rest && i == parameters.length - 1
              ? String.join("/", segments.subList(i, segments.size()))
              : segments.get(i));
    }
    return Collections.unmodifiableMap(values);
  }

  @Override
  public String toString() {
    return (methods.isEmpty() ? ANY_METHOD : String.join(" ", new java.util.TreeSet<>(methods)))
        + " "
        + pattern;
  }
}
