package dev.pillion.abi;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An error message returned by a version 2 guest, split into its optional code ({@code
 * ETAG_MISMATCH}, ...) and the text. See docs/abi.md for the codes. Immutable; equal when code and
 * text are.
 */
public final class GuestError {
  /** The guest says an etag did not match. */
  public static final String ETAG_MISMATCH = "ETAG_MISMATCH";

  /** The guest says an etag is malformed for this store. */
  public static final String ETAG_INVALID = "ETAG_INVALID";

  /** The guest says a request field is invalid. */
  public static final String INVALID_ARGUMENT = "INVALID_ARGUMENT";

  /**
   * The item the request names does not exist where the contract makes that an error (a secret a
   * secret store does not have).
   */
  public static final String NOT_FOUND = "NOT_FOUND";

  /** The guest does not support the operation or option. */
  public static final String NOT_SUPPORTED = "NOT_SUPPORTED";

  /** A limit (a store's capacity, a size) refused the request; nothing was changed. */
  public static final String RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED";

  private static final Pattern CODED = Pattern.compile("^([A-Z][A-Z0-9_]*): (.*)$", Pattern.DOTALL);
  private static final Pattern KEY = Pattern.compile("^key '([^']*)'(: )?");

  /** The code, or empty for a message without one. */
  private final String code;

  private final String text;

  private GuestError(String code, String text) {
    this.code = Objects.requireNonNull(code, "code");
    this.text = Objects.requireNonNull(text, "text");
  }

  /**
   * Parses a guest error message.
   *
   * @param message the UTF-8 message the guest returned
   * @return the parsed error
   */
  public static GuestError parse(String message) {
    Matcher matcher = CODED.matcher(message);
    if (matcher.matches()) {
      return new GuestError(matcher.group(1), matcher.group(2));
    }
    return new GuestError("", message);
  }

  /**
   * The code the message starts with.
   *
   * @return the upper-case code, or empty
   */
  public Optional<String> code() {
    return code.isEmpty() ? Optional.empty() : Optional.of(code);
  }

  /**
   * The message without the code.
   *
   * @return the text
   */
  public String text() {
    return text;
  }

  /**
   * The key the error is about, when the text starts with {@code key '<k>'} (bulk and transactional
   * errors).
   *
   * @return the key, or empty
   */
  public Optional<String> key() {
    Matcher matcher = KEY.matcher(text);
    return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
  }

  /**
   * The text without a leading {@code key '<k>': }, for messages that name the key themselves.
   *
   * @return the detail
   */
  public String detail() {
    Matcher matcher = KEY.matcher(text);
    return matcher.find() ? text.substring(matcher.end()) : text;
  }

  /**
   * Whether the error carries the given code.
   *
   * @param expected a code such as {@link #ETAG_MISMATCH}
   * @return true if the code matches
   */
  public boolean is(String expected) {
    return !code.isEmpty() && code.equals(expected);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof GuestError error && code.equals(error.code) && text.equals(error.text);
  }

  @Override
  public int hashCode() {
    return Objects.hash(code, text);
  }

  @Override
  public String toString() {
    return code.isEmpty() ? text : code + ": " + text;
  }
}
