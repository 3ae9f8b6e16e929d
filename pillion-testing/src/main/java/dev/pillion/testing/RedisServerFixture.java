package dev.pillion.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's {@value #SERVER}) for tests: started on a free loopback
 * port with a data directory of its own, optionally with a password or an ACL user, TLS (a CA, a
 * server and a client certificate made with {@code openssl} at start, the server listening only on
 * its TLS port) and an append-only file written on every command ({@code appendfsync always}), so a
 * restart on the same port and directory keeps every acknowledged write. Stopped by {@link
 * #close()} and, should a test not get there, killed when the JVM exits.
 *
 * <p>Tests that need it call {@link #available()} in a JUnit assumption: they are skipped only when
 * the server is not installed ({@code scripts/install-toolchain.sh} installs it).
 */
public final class RedisServerFixture implements AutoCloseable {
  /** The server binary. */
  public static final String SERVER = "/usr/bin/redis-server";

  private static final String OPENSSL = "/usr/bin/openssl";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final String password;
  private final String user;
  private final String userPassword;
  private final boolean tls;
  private final boolean clientCertificates;
  private final boolean appendOnly;
  private final Path directory;
  private final int port;
  private final Thread reaper;
  private Process process;

  private RedisServerFixture(Builder builder) throws IOException {
    this.password = builder.password;
    this.user = builder.user;
    this.userPassword = builder.userPassword;
    this.tls = builder.tls;
    this.clientCertificates = builder.clientCertificates;
    this.appendOnly = builder.appendOnly;
    this.directory = Files.createTempDirectory("pillion-redis-");
    this.port = freePort();
    this.reaper = new Thread(this::kill, "redis-server-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    if (tls) {
      makeCertificates();
    }
    writeConfig();
  }

  /**
   * Whether Debian's redis-server is installed.
   *
   * @return true when {@value #SERVER} can be run
   */
  public static boolean available() {
    return Files.isExecutable(Paths.get(SERVER));
  }

  /**
   * A builder for a server with no password, no TLS and no append-only file.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a plain server (no password, no TLS).
   *
   * @return the running server
   */
  public static RedisServerFixture start() {
    return builder().start();
  }

  /**
   * The port it listens on (its TLS port when TLS is on).
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The address as {@code redisHost} takes it.
   *
   * @return {@code 127.0.0.1:port}
   */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /**
   * The data directory (the append-only file, the log, the certificates).
   *
   * @return the directory
   */
  public Path directory() {
    return directory;
  }

  /**
   * The CA certificate that signed the server's and the client's certificates.
   *
   * @return PEM text
   */
  public String caCertPem() {
    return readPem("ca.crt");
  }

  /**
   * A client certificate the server accepts for mutual TLS.
   *
   * @return PEM text
   */
  public String clientCertPem() {
    return readPem("client.crt");
  }

  /**
   * The client certificate's key, PKCS#8.
   *
   * @return PEM text
   */
  public String clientKeyPem() {
    return readPem("client.key");
  }

  /**
   * The server's log so far, for a failing test's message.
   *
   * @return the log text
   */
  public String log() {
    try {
      Path log = directory.resolve("redis.log");
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether the server process is running.
   *
   * @return true while it runs
   */
  public synchronized boolean running() {
    return process != null && process.isAlive();
  }

  /** Stops the server (SIGTERM: with an append-only file it flushes and exits), and waits. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    process = null;
  }

  /** Kills the server at once (SIGKILL), as a crash would. */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /**
   * Starts the server again on the same port and directory (after {@link #stop()} or {@link
   * #kill()}).
   */
  public synchronized void restart() {
    if (process != null) {
      stop();
    }
    launch();
  }

  /** Stops the server and deletes its directory. */
  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // The JVM is already exiting: the hook runs (and finds nothing to kill).
    }
    try (var paths = Files.walk(directory)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "redis-server at " + address() + (tls ? " (TLS)" : "") + " in " + directory;
  }

  private synchronized void launch() {
    Path log = directory.resolve("redis.log");
    long logStart;
    try {
      logStart = Files.exists(log) ? Files.size(log) : 0;
      process =
          new ProcessBuilder(SERVER, directory.resolve("redis.conf").toString())
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(
                  ProcessBuilder.Redirect.appendTo(directory.resolve("out.log").toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + SERVER, e);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with " + process.exitValue() + ": " + log() + output());
      }
      if (log().length() > logStart
          && log().substring((int) logStart).contains("Ready to accept connections")) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting redis-server", e);
      }
    }
    kill();
    throw new IllegalStateException(
        "redis-server did not start within " + START_TIMEOUT + ": " + log() + output());
  }

  private String output() {
    try {
      Path out = directory.resolve("out.log");
      return Files.exists(out) ? Files.readString(out) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private void writeConfig() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("bind 127.0.0.1");
    lines.add("dir " + directory);
    lines.add("logfile " + directory.resolve("redis.log"));
    lines.add("save \"\"");
    lines.add("daemonize no");
    lines.add("protected-mode no");
    if (tls) {
      lines.add("port 0");
      lines.add("tls-port " + port);
      lines.add("tls-cert-file " + directory.resolve("server.crt"));
      lines.add("tls-key-file " + directory.resolve("server.key"));
      lines.add("tls-ca-cert-file " + directory.resolve("ca.crt"));
      lines.add("tls-auth-clients " + (clientCertificates ? "yes" : "no"));
    } else {
      lines.add("port " + port);
    }
    if (appendOnly) {
      lines.add("appendonly yes");
      lines.add("appendfsync always");
    }
    if (password != null) {
      lines.add("requirepass " + password);
    }
    if (user != null) {
      lines.add("user " + user + " on >" + userPassword + " ~* &* +@all");
    }
    Files.write(directory.resolve("redis.conf"), lines, StandardCharsets.UTF_8);
  }

  private void makeCertificates() throws IOException {
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=Pillion test CA");
    certificate("server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    certificate("client", "extendedKeyUsage=clientAuth");
  }

  private void certificate(String name, String extension) throws IOException {
    openssl(
        "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name + ".key");
    openssl("req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name);
    Files.writeString(directory.resolve(name + ".ext"), extension + "\n");
    openssl(
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        name + ".crt",
        "-days",
        "2",
        "-extfile",
        name + ".ext");
  }

  private void openssl(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(OPENSSL);
    command.addAll(List.of(args));
    Process openssl =
        new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    try {
      String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (openssl.waitFor() != 0) {
        throw new IOException("openssl " + String.join(" ", args) + " failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running openssl", e);
    }
  }

  private String readPem(String file) {
    if (!tls) {
      throw new IllegalStateException("the server was started without TLS: no " + file);
    }
    try {
      return Files.readString(directory.resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Builds and starts a {@link RedisServerFixture}. */
  public static final class Builder {
    private String password;
    private String user;
    private String userPassword;
    private boolean tls;
    private boolean clientCertificates;
    private boolean appendOnly;

    private Builder() {}

    /**
     * Requires a password of every client ({@code requirepass}).
     *
     * @param password the password
     * @return this builder
     */
    public Builder password(String password) {
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * Adds an ACL user with every right.
     *
     * @param name the user name
     * @param password its password
     * @return this builder
     */
    public Builder user(String name, String password) {
      this.user = Objects.requireNonNull(name, "name");
      this.userPassword = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * Listens with TLS only, with certificates made for this server.
     *
     * @return this builder
     */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    /**
     * Listens with TLS only and accepts only clients with a certificate signed by its CA ({@link
     * #clientCertPem()}).
     *
     * @return this builder
     */
    public Builder mutualTls() {
      this.tls = true;
      this.clientCertificates = true;
      return this;
    }

    /**
     * Writes every command to an append-only file before answering ({@code appendfsync always}).
     *
     * @return this builder
     */
    public Builder appendOnly() {
      this.appendOnly = true;
      return this;
    }

    /**
     * Starts the server and waits until it accepts connections.
     *
     * @return the running server
     */
    public RedisServerFixture start() {
      RedisServerFixture server;
      try {
        server = new RedisServerFixture(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prepare redis-server", e);
      }
      try {
        server.launch();
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    }
  }
}
