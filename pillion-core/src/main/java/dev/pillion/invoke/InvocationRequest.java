package dev.pillion.invoke;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A service invocation as the called app receives it: the method (its path below the app, without a
 * leading {@code /}), the HTTP verb, the raw query string, the headers, the content type and the
 * body. Immutable; made with {@link #builder(String)}.
 */
public final class InvocationRequest {
  private static final byte[] EMPTY = new byte[0];

  private final String method;
  private final String verb;
  private final String query;
  private final Map<String, List<String>> headers;
  private final String contentType;
  private final byte[] body;

  private InvocationRequest(Builder builder) {
    this.method = builder.method;
    this.verb = builder.verb;
    this.query = builder.query;
    this.headers = Headers.freeze(builder.headers);
    this.contentType = builder.contentType;
    this.body = builder.body;
  }

  /**
   * A builder for a request to a method; the verb is {@code POST} unless set.
   *
   * @param method the method, e.g. {@code orders/42} (a leading {@code /} is dropped)
   * @return the builder
   * @throws InvalidMethodException when the method is empty, has a {@code .} or {@code ..} segment
   *     or control characters
   */
  public static Builder builder(String method) {
    return new Builder(checkMethod(method));
  }

  /**
   * Checks a method name as every face of invocation takes it.
   *
   * @param method the method; a leading {@code /} is dropped
   * @return the method without a leading {@code /}
   * @throws InvalidMethodException naming what is wrong
   */
  public static String checkMethod(String method) {
    Objects.requireNonNull(method, "method");
    String trimmed = method.startsWith("/") ? method.substring(1) : method;
    if (trimmed.isEmpty()) {
      throw new InvalidMethodException("the method to invoke is empty");
    }
    for (int i = 0; i < trimmed.length(); i++) {
      if (Character.isISOControl(trimmed.charAt(i))) {
        throw new InvalidMethodException(
            "the method '" + trimmed.replaceAll("\\p{Cntrl}", "?") + "' has control characters");
      }
    }
    for (String segment : trimmed.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new InvalidMethodException(
            "the method '"
                + trimmed
                + "' has a '"
                + segment
                + "' segment, which would leave the app's path");
      }
    }
    return trimmed;
  }

  /**
   * The method: the path below the app, without a leading {@code /}.
   *
   * @return e.g. {@code orders/42}
   */
  public String method() {
    return method;
  }

  /**
   * The HTTP verb.
   *
   * @return e.g. {@code GET}
   */
  public String verb() {
    return verb;
  }

  /**
   * The query string, raw (still percent-encoded), without the {@code ?}.
   *
   * @return e.g. {@code a=1&b=x%20y}, empty when there is none
   */
  public String query() {
    return query;
  }

  /**
   * The headers, names lower-cased, each with all its values in order. The body's own headers
   * ({@code content-type}, {@code content-length}) are not among them.
   *
   * @return an unmodifiable map
   */
  public Map<String, List<String>> headers() {
    return headers;
  }

  /**
   * The first value of a header.
   *
   * @param name the name, in any case
   * @return its first value, or empty
   */
  public Optional<String> header(String name) {
    return Headers.first(headers, name);
  }

  /**
   * The body's content type.
   *
   * @return e.g. {@code application/json}, empty when not given
   */
  public String contentType() {
    return contentType;
  }

  /**
   * The body, without copying it.
   *
   * @return a read-only view
   */
  public ByteBuffer body() {
    return ByteBuffer.wrap(body).asReadOnlyBuffer();
  }

  /**
   * The body's bytes.
   *
   * @return a copy
   */
  public byte[] bodyBytes() {
    return body.clone();
  }

  /**
   * The body as UTF-8 text.
   *
   * @return the text
   */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The body's length.
   *
   * @return bytes
   */
  public int bodyLength() {
    return body.length;
  }

  /**
   * A builder starting from this request, to change a part of it.
   *
   * @return the builder
   */
  public Builder toBuilder() {
    Builder builder = new Builder(method).verb(verb).query(query).contentType(contentType);
    headers.forEach((name, values) -> values.forEach(value -> builder.header(name, value)));
    builder.body = body;
    return builder;
  }

  @Override
  public String toString() {
    return verb + " " + method + (query.isEmpty() ? "" : "?" + query);
  }

  /** Builds an {@link InvocationRequest}. */
  public static final class Builder {
    private final String method;
    private String verb = "POST";
    private String query = "";
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private String contentType = "";
    private byte[] body = EMPTY;

    private Builder(String method) {
      this.method = method;
    }

    /**
     * The HTTP verb; {@code POST} by default.
     *
     * @param verb e.g. {@code GET}; upper-cased
     * @return this builder
     */
    public Builder verb(String verb) {
      Objects.requireNonNull(verb, "verb");
      if (verb.isEmpty() || !verb.chars().allMatch(c -> c > ' ' && c < 127)) {
        throw new IllegalArgumentException("the verb '" + verb + "' is not an HTTP method");
      }
      this.verb = verb.toUpperCase(java.util.Locale.ROOT);
      return this;
    }

    /**
     * The raw query string (percent-encoded, without {@code ?}).
     *
     * @param query the query string
     * @return this builder
     */
    public Builder query(String query) {
      Objects.requireNonNull(query, "query");
      this.query = query.startsWith("?") ? query.substring(1) : query;
      return this;
    }

    /**
     * Adds a header value.
     *
     * @param name the name (lower-cased)
     * @param value the value
     * @return this builder
     */
    public Builder header(String name, String value) {
      Headers.add(headers, name, value);
      return this;
    }

    /**
     * The body's content type.
     *
     * @param contentType e.g. {@code application/json}
     * @return this builder
     */
    public Builder contentType(String contentType) {
      this.contentType = Objects.requireNonNull(contentType, "contentType");
      return this;
    }

    /**
     * The body.
     *
     * @param body the bytes (copied)
     * @return this builder
     */
    public Builder body(byte[] body) {
      this.body = Objects.requireNonNull(body, "body").clone();
      return this;
    }

    /**
     * The body as UTF-8 text.
     *
     * @param text the text
     * @return this builder
     */
    public Builder body(String text) {
      this.body = Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8);
      return this;
    }

    /**
     * Builds the request.
     *
     * @return the request
     */
    public InvocationRequest build() {
      return new InvocationRequest(this);
    }
  }
}
