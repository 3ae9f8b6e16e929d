package dev.pillion.invoke.resolution;

import dev.pillion.invoke.resolution.spi.NameResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Same-machine name resolution through a directory: each registered instance is one small file (its
 * app id, namespace, host, ports, process id and process start time), written under a temporary
 * name and renamed into place, so a reader sees a whole entry or none. Readers list the directory
 * (at most every {@link Builder#refreshInterval refresh interval}, and at once when an app id is
 * not known), read only the files they have not seen (an entry never changes), and drop and delete
 * the entries whose process is gone, or whose process id now belongs to a process started at
 * another time, which is how the entries of a runtime killed with {@code kill -9} go away. Each
 * resolve also checks that the chosen instance's process still exists, so an instance that exited
 * is not chosen once its process is gone. No multicast, no daemon, no lock: several runtimes
 * register, resolve and clean concurrently, each writing only its own files.
 *
 * <p>Selected by {@code spec.nameResolution.component: mdns} (daprd's self-hosted default, which
 * this replaces) or {@code local}.
 */
public final class LocalRegistryResolver implements NameResolver {
  static final String SUFFIX = ".instance";
  private static final String TEMPORARY_SUFFIX = ".tmp";
  private static final int FORMAT = 1;
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(250);
  private static final long MISS_REFRESH_NANOS = Duration.ofMillis(20).toNanos();
  private static final long EXIT_CHECK_NANOS = Duration.ofMillis(100).toNanos();
  private static final System.Logger LOG = System.getLogger(LocalRegistryResolver.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String name;
  private final Path directory;
  private final long refreshNanos;
  private final long ownPid = ProcessHandle.current().pid();
  private final ReentrantLock refreshLock = new ReentrantLock();
  private final Map<String, AtomicInteger> turns = new ConcurrentHashMap<>();
  private final Set<String> gone = ConcurrentHashMap.newKeySet();
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private final Set<String> reportedMalformed = ConcurrentHashMap.newKeySet();
  private final Set<LocalRegistration> registrations = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of(), 0, true);
  private volatile boolean prepared;

  private LocalRegistryResolver(Builder builder) {
    this.name = builder.name;
    this.directory = builder.directory;
    this.refreshNanos = builder.refreshInterval.toNanos();
  }

  /**
   * A builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A resolver on the user's default registry directory (see {@link Builder#directory}).
   *
   * @return the resolver
   */
  public static LocalRegistryResolver create() {
    return builder().build();
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * The registry directory.
   *
   * @return the directory
   */
  public Path directory() {
    return directory;
  }

  @Override
  public Registration register(AppInstance instance) {
    Objects.requireNonNull(instance, "instance");
    checkOpen();
    prepareDirectory();
    String file = instance.pid() + "-" + HexFormat.of().formatHex(randomBytes()) + SUFFIX;
    Path target = directory.resolve(file);
    Path temporary = directory.resolve("." + file + TEMPORARY_SUFFIX);
    try {
      writeNew(temporary, encode(instance));
      try {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.deleteIfExists(temporary);
        throw new NameResolutionException(
            "the name resolution registry directory "
                + directory
                + " does not support atomic renames, so readers could see half an entry; choose"
                + " a directory on a local file system",
            e);
      }
    } catch (IOException e) {
      deleteQuietly(temporary);
      throw new NameResolutionException(
          "cannot register " + instance + " in " + directory + ": " + e, e);
    }
    LocalRegistration registration = new LocalRegistration(instance, target);
    registrations.add(registration);
    snapshot = snapshot.markedStale();
    LOG.log(System.Logger.Level.DEBUG, () -> "registered " + instance + " as " + target);
    return registration;
  }

  @Override
  public AppAddress resolve(String appId, String namespace) {
    AppInstance.checkAppId(appId, "target app id");
    AppInstance.checkAppId(namespace, "target namespace");
    checkOpen();
    String key = key(appId, namespace);
    long now = System.nanoTime();
    Snapshot current = snapshot;
    if ((current.stale || now - current.loadedAt > refreshNanos) && refreshLock.tryLock()) {
      try {
        current = refresh();
      } finally {
        refreshLock.unlock();
      }
    }
    Optional<AppAddress> chosen = choose(current, key);
    if (chosen.isPresent()) {
      return chosen.get();
    }
    // Not known, or every known instance gone: the app may have registered since the last look.
    refreshLock.lock();
    try {
      current = snapshot;
      if (current.stale || System.nanoTime() - current.loadedAt > MISS_REFRESH_NANOS) {
        current = refresh();
      }
    } finally {
      refreshLock.unlock();
    }
    return choose(current, key)
        .orElseThrow(
            () ->
                new AppNotFoundException(
                    appId,
                    namespace,
                    "no running instance is registered with name resolution '"
                        + name
                        + "' in "
                        + directory));
  }

  @Override
  public void unreachable(String appId, String namespace, AppAddress address) {
    for (Entry entry : snapshot.byApp.getOrDefault(key(appId, namespace), List.of())) {
      if (entry.instance.address().equals(address) && !accepts(address)) {
        refused.add(entry.file);
        LOG.log(
            System.Logger.Level.INFO,
            () -> entry.instance + " refuses connections; not chosen until it accepts them");
      }
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      List.copyOf(registrations).forEach(LocalRegistration::close);
    }
  }

  private Optional<AppAddress> choose(Snapshot current, String key) {
    List<Entry> entries = current.byApp.get(key);
    if (entries == null || entries.isEmpty()) {
      return Optional.empty();
    }
    int size = entries.size();
    int turn = turns.computeIfAbsent(key, k -> new AtomicInteger()).getAndIncrement();
    for (int i = 0; i < size; i++) {
      Entry entry = entries.get(Math.floorMod(turn + i, size));
      if (gone.contains(entry.file) || refused.contains(entry.file)) {
        continue;
      }
      if (entry.instance.pid() != ownPid && exited(entry)) {
        gone.add(entry.file);
        deleteQuietly(directory.resolve(entry.file));
        LOG.log(System.Logger.Level.DEBUG, () -> entry.instance + " has exited; entry removed");
        continue;
      }
      return Optional.of(entry.instance.address());
    }
    return Optional.empty();
  }

  /**
   * Whether an entry's process is gone, looked up at most once per {@link #EXIT_CHECK_NANOS} per
   * entry: a lookup reads {@code /proc} on Linux, about 20 µs here, more than the rest of a
   * resolve.
   */
  private boolean exited(Entry entry) {
    long now = System.nanoTime();
    if (now - entry.checkedAt < EXIT_CHECK_NANOS) {
      return false;
    }
    entry.checkedAt = now;
    return ProcessHandle.of(entry.instance.pid()).isEmpty();
  }

  /** Lists the directory; called with the refresh lock held. */
  private Snapshot refresh() {
    Snapshot previous = snapshot;
    Map<String, Entry> entries = new HashMap<>();
    if (Files.isDirectory(directory)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
        for (Path file : files) {
          String fileName = file.getFileName().toString();
          if (fileName.startsWith(".") && fileName.endsWith(SUFFIX + TEMPORARY_SUFFIX)) {
            removeAbandoned(file, fileName);
            continue;
          }
          if (!fileName.endsWith(SUFFIX)) {
            continue;
          }
          Optional<Entry> known = Optional.ofNullable(previous.entries.get(fileName));
          if (known.isEmpty()) {
            known = read(file, fileName);
          }
          if (known.isEmpty()) {
            continue;
          }
          Entry entry = known.get();
          if (!alive(entry)) {
            Entry dead = entry;
            deleteQuietly(file);
            LOG.log(
                System.Logger.Level.DEBUG,
                () -> "removed the entry of " + dead.instance + ": its process is gone");
            continue;
          }
          entries.put(fileName, entry);
        }
      } catch (IOException | UncheckedIOException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "cannot list the name resolution registry directory " + directory + ": " + e);
        return previous;
      }
    }
    gone.retainAll(entries.keySet());
    refused.retainAll(entries.keySet());
    for (String file : List.copyOf(refused)) {
      if (accepts(entries.get(file).instance.address())) {
        refused.remove(file);
      }
    }
    Map<String, List<Entry>> byApp = new HashMap<>();
    entries.values().stream()
        .sorted(Comparator.comparing(entry -> entry.file))
        .forEach(
            entry ->
                byApp
                    .computeIfAbsent(
                        key(entry.instance.appId(), entry.instance.namespace()),
                        k -> new ArrayList<>())
                    .add(entry));
    byApp.replaceAll((key, list) -> List.copyOf(list));
    Snapshot next = new Snapshot(Map.copyOf(entries), Map.copyOf(byApp), System.nanoTime(), false);
    snapshot = next;
    return next;
  }

  /** The process that wrote the entry still runs: same process id, same start time. */
  private boolean alive(Entry entry) {
    long pid = entry.instance.pid();
    if (pid == ownPid) {
      return true;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty()) {
      return false;
    }
    if (entry.processStart == 0) {
      return true;
    }
    return process
        .get()
        .info()
        .startInstant()
        .map(started -> started.toEpochMilli() == entry.processStart)
        .orElse(true);
  }

  private Optional<Entry> read(Path file, String fileName) {
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      properties.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    } catch (NoSuchFileException deregistered) {
      return Optional.empty();
    } catch (IOException e) {
      reportMalformed(fileName, "cannot be read: " + e);
      return Optional.empty();
    }
    try {
      if (Integer.parseInt(properties.getProperty("format", "0")) != FORMAT) {
        reportMalformed(fileName, "has format " + properties.getProperty("format"));
        return Optional.empty();
      }
      AppInstance.Builder instance =
          AppInstance.builder()
              .appId(required(properties, "appId"))
              .namespace(required(properties, "namespace"))
              .host(required(properties, "host"))
              .internalGrpcPort(Integer.parseInt(required(properties, "internalGrpcPort")))
              .pid(Long.parseLong(required(properties, "pid")));
      String httpPort = properties.getProperty("httpPort", "");
      if (!httpPort.isEmpty()) {
        instance.httpPort(Integer.parseInt(httpPort));
      }
      long processStart = Long.parseLong(properties.getProperty("processStart", "0"));
      return Optional.of(new Entry(fileName, instance.build(), processStart));
    } catch (RuntimeException e) {
      reportMalformed(fileName, "is not a registry entry: " + e.getMessage());
      removeAbandoned(file, fileName);
      return Optional.empty();
    }
  }

  private static String required(Properties properties, String field) {
    String value = properties.getProperty(field);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("'" + field + "' is missing");
    }
    return value;
  }

  private void reportMalformed(String fileName, String problem) {
    if (reportedMalformed.add(fileName)) {
      LOG.log(
          System.Logger.Level.WARNING,
          "ignoring "
              + directory.resolve(fileName)
              + " in the name resolution registry: it "
              + problem);
    }
  }

  /** Deletes a file whose name starts with the process id of a process that is gone. */
  private void removeAbandoned(Path file, String fileName) {
    String name = fileName.startsWith(".") ? fileName.substring(1) : fileName;
    int dash = name.indexOf('-');
    try {
      long pid = Long.parseLong(name.substring(0, dash));
      if (pid != ownPid && ProcessHandle.of(pid).isEmpty()) {
        deleteQuietly(file);
      }
    } catch (RuntimeException notOurs) {
      // Not a name this resolver writes: leave it alone.
    }
  }

  private static String encode(AppInstance instance) {
    Properties properties = new Properties();
    properties.setProperty("format", Integer.toString(FORMAT));
    properties.setProperty("appId", instance.appId());
    properties.setProperty("namespace", instance.namespace());
    properties.setProperty("host", instance.host());
    properties.setProperty("internalGrpcPort", Integer.toString(instance.internalGrpcPort()));
    instance
        .httpPort()
        .ifPresent(port -> properties.setProperty("httpPort", Integer.toString(port)));
    properties.setProperty("pid", Long.toString(instance.pid()));
    ProcessHandle.of(instance.pid())
        .flatMap(process -> process.info().startInstant())
        .map(Instant::toEpochMilli)
        .ifPresent(started -> properties.setProperty("processStart", Long.toString(started)));
    StringWriter text = new StringWriter();
    try {
      properties.store(text, "a Pillion runtime, for same-machine name resolution");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }

  private static void writeNew(Path file, String text) throws IOException {
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.WRITE);
    } else {
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    }
  }

  private static boolean accepts(AppAddress address) {
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress(address.host(), address.port()), (int) PROBE_TIMEOUT.toMillis());
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void prepareDirectory() {
    if (!prepared) {
      RegistryDirectory.prepare(directory);
      prepared = true;
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("name resolution '" + name + "' is closed");
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "cannot delete " + file + ": " + e);
    }
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[8];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  private static String key(String appId, String namespace) {
    return namespace + "/" + appId;
  }

  /** One registry file as read; the file never changes, only when its process was last seen. */
  private static final class Entry {
    final String file;
    final AppInstance instance;
    final long processStart;
    volatile long checkedAt;

    Entry(String file, AppInstance instance, long processStart) {
      this.file = file;
      this.instance = instance;
      this.processStart = processStart;
      this.checkedAt = System.nanoTime();
    }
  }

  private record Snapshot(
      Map<String, Entry> entries, Map<String, List<Entry>> byApp, long loadedAt, boolean stale) {
    /** The same entries, listed again at the next resolve: this resolver changed the directory. */
    Snapshot markedStale() {
      return new Snapshot(entries, byApp, loadedAt, true);
    }
  }

  private final class LocalRegistration implements Registration {
    private final AppInstance instance;
    private final Path file;
    private final AtomicBoolean withdrawn = new AtomicBoolean();

    LocalRegistration(AppInstance instance, Path file) {
      this.instance = instance;
      this.file = file;
    }

    @Override
    public AppInstance instance() {
      return instance;
    }

    @Override
    public void close() {
      if (withdrawn.compareAndSet(false, true)) {
        registrations.remove(this);
        deleteQuietly(file);
        snapshot = snapshot.markedStale();
      }
    }
  }

  /** Builds a {@link LocalRegistryResolver}. */
  public static final class Builder {
    private String name = "mdns";
    private Path directory = RegistryDirectory.defaultDirectory(System.getenv());
    private Duration refreshInterval = Duration.ofSeconds(1);

    private Builder() {}

    /**
     * The registry directory; every runtime that should find the others must use the same one.
     * Default: {@code $XDG_RUNTIME_DIR/pillion/registry}, or {@code
     * <java.io.tmpdir>/pillion-<user>/registry} without a session runtime directory. It must belong
     * to the user and be writable by no one else.
     *
     * @param directory the directory
     * @return this builder
     */
    public Builder directory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * How long a listing of the directory is used before the next; an unknown app id, and a known
     * one whose instances are all gone, list it again at once.
     *
     * @param refreshInterval at least 1 ms
     * @return this builder
     */
    public Builder refreshInterval(Duration refreshInterval) {
      if (refreshInterval.toMillis() < 1) {
        throw new IllegalArgumentException(
            "refresh interval " + refreshInterval + " is under 1 ms");
      }
      this.refreshInterval = refreshInterval;
      return this;
    }

    /**
     * The name the resolver reports in messages.
     *
     * @param name the name, as the Configuration selected it
     * @return this builder
     */
    public Builder name(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("name is empty");
      }
      this.name = name;
      return this;
    }

    /**
     * Builds the resolver; the directory is created when the first instance registers.
     *
     * @return the resolver
     */
    public LocalRegistryResolver build() {
      return new LocalRegistryResolver(this);
    }
  }
}
