package dev.pillion.invoke;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The called app's answer: its HTTP status, headers, content type and body, passed back to the
 * caller unchanged whatever the status. Immutable; made with {@link #builder()} or {@link
 * #ok(String)}.
 */
public final class InvocationResponse {
  private static final byte[] EMPTY = new byte[0];

  private final int status;
  private final Map<String, List<String>> headers;
  private final String contentType;
  private final byte[] body;

  private InvocationResponse(Builder builder) {
    this.status = builder.status;
    this.headers = Headers.freeze(builder.headers);
    this.contentType = builder.contentType;
    this.body = builder.body;
  }

  /**
   * A builder; the status is 200 unless set.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A 200 answer with a text body ({@code text/plain; charset=utf-8}).
   *
   * @param text the body
   * @return the answer
   */
  public static InvocationResponse ok(String text) {
    return builder().contentType("text/plain; charset=utf-8").body(text).build();
  }

  /**
   * The HTTP status.
   *
   * @return e.g. 200
   */
  public int status() {
    return status;
  }

  /**
   * The headers, names lower-cased, without {@code content-type} and {@code content-length}.
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
   * @return e.g. {@code application/json}, empty when the app gave none
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

  @Override
  public String toString() {
    return status
        + " ("
        + body.length
        + " bytes"
        + (contentType.isEmpty() ? "" : ", " + contentType)
        + ")";
  }

  /** Builds an {@link InvocationResponse}. */
  public static final class Builder {
    private int status = 200;
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private String contentType = "";
    private byte[] body = EMPTY;

    private Builder() {}

    /**
     * The HTTP status; 200 by default.
     *
     * @param status 100..599
     * @return this builder
     */
    public Builder status(int status) {
      if (status < 100 || status > 599) {
        throw new IllegalArgumentException("an HTTP status must be 100..599, got " + status);
      }
      this.status = status;
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
     * Builds the answer.
     *
     * @return the answer
     */
    public InvocationResponse build() {
      return new InvocationResponse(this);
    }
  }
}
