package dev.pillion.abi;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An error message returned by a version 2 guest, split into its optional code ({@code
 * ETAG_MISMATCH}, ...) and the text. See docs/abi.md for the codes.
 *
 * @param code the upper-case code the message starts with, or empty
 * @param text the message without the code
 */
public record GuestError(Optional<String> code, String text) {
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

  /**
   * Parses a guest error message.
   *
   * @param message the UTF-8 message the guest returned
   * @return the parsed error
   */
  public static GuestError parse(String message) {
    Matcher matcher = CODED.matcher(message);
    if (matcher.matches()) {
      return new GuestError(Optional.of(matcher.group(1)), matcher.group(2));
    }
    return new GuestError(Optional.empty(), message);
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
    return code.filter(expected::equals).isPresent();
  }
}
