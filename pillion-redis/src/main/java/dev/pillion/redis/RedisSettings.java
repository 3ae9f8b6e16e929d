package dev.pillion.redis;

import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.Durations;
import dev.pillion.config.WasmSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How the host reaches the one Redis a component's YAML names: daprd's connection metadata, parsed
 * and checked once ({@link #from(ComponentDefinition)}). Immutable. The address, the credentials
 * and the certificates stay in the host: {@link #guestProperties(ComponentDefinition)} is what the
 * guest's {@code init} may see.
 *
 * <p>Fields (docs/abi.md, {@code redis}): {@code redisHost} ({@code host:port}, required), {@code
 * redisUsername}, {@code redisPassword}, {@code redisDB} (default 0), {@code enableTLS} with {@code
 * caCert} (PEM: the certificates to trust instead of the JDK's) and {@code clientCert} + {@code
 * clientKey} (PEM, the key in PKCS#8) for mutual TLS, {@code dialTimeout} (5s), {@code readTimeout}
 * (the default deadline of a call, 5s), {@code maxRetries} (3), {@code maxRetryBackoff} (the cap of
 * the reconnect backoff, 2s; negative: none). Durations are Go durations ({@code 5s}, {@code
 * 500ms}) or, as daprd reads them, plain numbers of milliseconds. {@code redisType: cluster} and
 * {@code failover: true} are refused.
 */
public final class RedisSettings {
  /** Metadata the host uses to connect, never passed to the guest. */
  public static final Set<String> CONNECTION_FIELDS =
      Set.of(
          "redisHost",
          "redisUsername",
          "redisPassword",
          "redisDB",
          "redisType",
          "enableTLS",
          "caCert",
          "clientCert",
          "clientKey",
          "dialTimeout",
          "readTimeout",
          "writeTimeout",
          "maxRetries",
          "maxRetryBackoff",
          "minRetryBackoff",
          "failover",
          "sentinelMasterName",
          "sentinelUsername",
          "sentinelPassword",
          "poolSize",
          "minIdleConns",
          "poolTimeout",
          "idleTimeout",
          "idleCheckFrequency",
          "maxConnAge",
          "useEntraID");

  private static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration DEFAULT_MAX_RETRY_BACKOFF = Duration.ofSeconds(2);
  private static final int DEFAULT_MAX_RETRIES = 3;

  /** The first wait before reconnecting, and the only one when the backoff is turned off. */
  static final Duration MIN_RETRY_BACKOFF = Duration.ofMillis(10);

  private final String component;
  private final String host;
  private final int port;
  private final String username;
  private final String password;
  private final int database;
  private final boolean tls;
  private final byte[] caCert;
  private final byte[] clientCert;
  private final byte[] clientKey;
  private final Duration dialTimeout;
  private final Duration readTimeout;
  private final int maxRetries;
  private final Duration maxRetryBackoff;

  private RedisSettings(Parser parser) {
    this.component = parser.definition.name();
    this.host = parser.host;
    this.port = parser.port;
    this.username = parser.text("redisUsername");
    this.password = parser.text("redisPassword");
    this.database = parser.integer("redisDB", 0);
    this.tls = parser.bool("enableTLS");
    this.caCert = parser.pem("caCert");
    this.clientCert = parser.pem("clientCert");
    this.clientKey = parser.pem("clientKey");
    this.dialTimeout = parser.duration("dialTimeout", DEFAULT_DIAL_TIMEOUT);
    this.readTimeout = parser.duration("readTimeout", DEFAULT_READ_TIMEOUT);
    this.maxRetries = parser.integer("maxRetries", DEFAULT_MAX_RETRIES);
    this.maxRetryBackoff = parser.backoff("maxRetryBackoff", DEFAULT_MAX_RETRY_BACKOFF);
    parser.checkCombinations(this);
  }

  /**
   * Reads and checks a definition's connection metadata.
   *
   * @param definition the component's definition, its references resolved
   * @return the settings
   * @throws ComponentConfigException naming the component and the field when one is invalid
   */
  public static RedisSettings from(ComponentDefinition definition) {
    return new RedisSettings(new Parser(definition));
  }

  /**
   * What the guest's {@code init} gets: the guest properties of any Wasm component ({@link
   * WasmSettings#guestProperties}) without the connection fields.
   *
   * @param definition the component's definition
   * @return every other field, in order
   */
  public static Map<String, String> guestProperties(ComponentDefinition definition) {
    Map<String, String> properties = new LinkedHashMap<>();
    WasmSettings.guestProperties(definition)
        .forEach(
            (key, value) -> {
              if (!CONNECTION_FIELDS.contains(key)) {
                properties.put(key, value);
              }
            });
    return properties;
  }

  /**
   * The component's name, for messages.
   *
   * @return the name
   */
  public String component() {
    return component;
  }

  /**
   * The server's host name or address.
   *
   * @return the host
   */
  public String host() {
    return host;
  }

  /**
   * The server's port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The ACL user name, when one is set.
   *
   * @return the user name
   */
  public Optional<String> username() {
    return username.isEmpty() ? Optional.empty() : Optional.of(username);
  }

  /**
   * Whether a password is set (the password itself never leaves the connection code).
   *
   * @return true when the host authenticates
   */
  public boolean authenticates() {
    return !password.isEmpty();
  }

  char[] password() {
    return password.toCharArray();
  }

  /**
   * The logical database ({@code SELECT}ed by the host).
   *
   * @return the database number
   */
  public int database() {
    return database;
  }

  /**
   * Whether the connection uses TLS.
   *
   * @return true with {@code enableTLS: true}
   */
  public boolean tls() {
    return tls;
  }

  Optional<byte[]> caCert() {
    return Optional.ofNullable(caCert);
  }

  Optional<byte[]> clientCert() {
    return Optional.ofNullable(clientCert);
  }

  Optional<byte[]> clientKey() {
    return Optional.ofNullable(clientKey);
  }

  /**
   * How long connecting may take.
   *
   * @return the dial timeout
   */
  public Duration dialTimeout() {
    return dialTimeout;
  }

  /**
   * The deadline of a call that does not give its own.
   *
   * @return the read timeout
   */
  public Duration readTimeout() {
    return readTimeout;
  }

  /**
   * daprd's {@code maxRetries}, accepted and checked: the host never re-sends a command (a write
   * sent twice could apply twice), it reconnects; the guest decides what to retry.
   *
   * @return the value
   */
  public int maxRetries() {
    return maxRetries;
  }

  /**
   * The longest wait between two reconnect attempts.
   *
   * @return the backoff cap
   */
  public Duration maxRetryBackoff() {
    return maxRetryBackoff;
  }

  /**
   * The address, for messages.
   *
   * @return {@code host:port}
   */
  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return "RedisSettings[" + component + " at " + address() + (tls ? ", TLS" : "") + "]";
  }

  /** Reads fields of one definition, failing with the component and the field named. */
  private static final class Parser {
    private final ComponentDefinition definition;
    private final Map<String, String> metadata;
    private final String host;
    private final int port;

    Parser(ComponentDefinition definition) {
      this.definition = definition;
      this.metadata = definition.metadata();
      String type = text("redisType").toLowerCase(Locale.ROOT);
      if (!type.isEmpty() && !type.equals("node")) {
        throw invalid(
            "redisType",
            "'" + type + "' is not supported (only 'node', a single server, is; cluster is not)");
      }
      if (bool("failover")) {
        throw invalid(
            "failover", "Redis Sentinel failover is not supported (use a single server address)");
      }
      String address = text("redisHost").trim();
      if (address.isEmpty()) {
        throw invalid("redisHost", "is required (host:port, e.g. localhost:6379)");
      }
      int colon = address.lastIndexOf(':');
      if (colon <= 0 || colon == address.length() - 1) {
        throw invalid("redisHost", "'" + address + "' is not host:port (e.g. localhost:6379)");
      }
      String name = address.substring(0, colon);
      if (name.startsWith("[") && name.endsWith("]")) {
        name = name.substring(1, name.length() - 1);
      }
      if (name.contains(",")) {
        throw invalid(
            "redisHost", "'" + address + "' names several servers; only one is supported");
      }
      this.host = name;
      try {
        this.port = Integer.parseInt(address.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw invalid("redisHost", "'" + address + "' has no valid port");
      }
      if (port < 1 || port > 65535) {
        throw invalid("redisHost", "port " + port + " is outside 1-65535");
      }
    }

    String text(String field) {
      return metadata.getOrDefault(field, "");
    }

    boolean bool(String field) {
      String value = text(field).trim().toLowerCase(Locale.ROOT);
      return switch (value) {
        case "", "false", "0" -> false;
        case "true", "1" -> true;
        default -> throw invalid(field, "'" + value + "' is not true or false");
      };
    }

    int integer(String field, int fallback) {
      String value = text(field).trim();
      if (value.isEmpty()) {
        return fallback;
      }
      try {
        int parsed = Integer.parseInt(value);
        if (parsed < 0) {
          throw invalid(field, "must not be negative, got " + parsed);
        }
        return parsed;
      } catch (NumberFormatException e) {
        throw invalid(field, "'" + value + "' is not a whole number");
      }
    }

    Duration duration(String field, Duration fallback) {
      String value = text(field).trim();
      if (value.isEmpty()) {
        return fallback;
      }
      Duration parsed;
      if (value.matches("-?\\d+")) {
        // A plain number is milliseconds, as daprd's Redis settings read it.
        parsed = Duration.ofMillis(Long.parseLong(value));
      } else {
        try {
          parsed = Durations.parse(value);
        } catch (IllegalArgumentException e) {
          throw invalid(field, "'" + value + "' is not a duration (e.g. 5s, 500ms)");
        }
      }
      if (parsed.isZero() || parsed.isNegative()) {
        throw invalid(field, "must be positive, got '" + value + "'");
      }
      return parsed;
    }

    /** daprd's {@code maxRetryBackoff}: a negative number turns the backoff off. */
    Duration backoff(String field, Duration fallback) {
      String value = text(field).trim();
      if (value.matches("-\\d+")) {
        return MIN_RETRY_BACKOFF;
      }
      return duration(field, fallback);
    }

    byte[] pem(String field) {
      String value = text(field).trim();
      if (value.isEmpty()) {
        return null;
      }
      if (!value.contains("-----BEGIN ")) {
        throw invalid(field, "is not PEM (it has no -----BEGIN line)");
      }
      return value.getBytes(StandardCharsets.US_ASCII);
    }

    void checkCombinations(RedisSettings settings) {
      if (!settings.tls) {
        for (String field : new String[] {"caCert", "clientCert", "clientKey"}) {
          if (!text(field).isBlank()) {
            throw invalid(field, "is used only with enableTLS: true");
          }
        }
      }
      if ((settings.clientCert == null) != (settings.clientKey == null)) {
        throw invalid(
            settings.clientCert == null ? "clientCert" : "clientKey",
            "is required with "
                + (settings.clientCert == null ? "clientKey" : "clientCert")
                + " (mutual TLS needs both)");
      }
      if (!settings.username.isEmpty() && settings.password.isEmpty()) {
        throw invalid("redisPassword", "is required with redisUsername");
      }
    }

    ComponentConfigException invalid(String field, String problem) {
      return new ComponentConfigException(definition + ": metadata '" + field + "' " + problem);
    }
  }
}
