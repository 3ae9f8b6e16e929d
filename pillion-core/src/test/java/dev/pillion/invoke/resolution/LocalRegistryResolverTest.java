package dev.pillion.invoke.resolution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.invoke.resolution.spi.NameResolver.Registration;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class LocalRegistryResolverTest {
  @TempDir Path directory;

  private LocalRegistryResolver resolver() {
    return LocalRegistryResolver.builder()
        .directory(directory)
        .refreshInterval(Duration.ofMillis(1))
        .build();
  }

  private static AppInstance instance(String appId, int port) {
    return AppInstance.builder().appId(appId).internalGrpcPort(port).httpPort(3500).build();
  }

  @Test
  void aRegistrationIsFoundByAnotherResolverOnTheSameDirectory() throws Exception {
    try (LocalRegistryResolver publisher = resolver();
        LocalRegistryResolver caller = resolver()) {
      Registration registration = publisher.register(instance("orders", 50100));

      assertThat(caller.resolve("orders", "default")).isEqualTo(new AppAddress("127.0.0.1", 50100));
      assertThatThrownBy(() -> caller.resolve("orders", "other"))
          .isInstanceOf(AppNotFoundException.class)
          .hasMessageContaining("app id 'orders' in namespace 'other' not found")
          .hasMessageContaining("name resolution 'mdns'");

      registration.close();
      Thread.sleep(5);
      assertThatThrownBy(() -> caller.resolve("orders", "default"))
          .isInstanceOf(AppNotFoundException.class);
      assertThat(entries()).isEmpty();
    }
  }

  @Test
  void closingTheResolverWithdrawsItsRegistrations() throws Exception {
    LocalRegistryResolver publisher = resolver();
    publisher.register(instance("orders", 50100));
    publisher.register(instance("billing", 50101));
    assertThat(entries()).hasSize(2);

    publisher.close();

    assertThat(entries()).isEmpty();
    assertThatThrownBy(() -> publisher.resolve("orders", "default"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void callsTurnRoundRobinOverThreeInstances() {
    List<LocalRegistryResolver> instances = new ArrayList<>();
    try (LocalRegistryResolver caller = resolver()) {
      for (int port : new int[] {50101, 50102, 50103}) {
        LocalRegistryResolver resolver = resolver();
        instances.add(resolver);
        resolver.register(instance("orders", port));
      }
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        ports.add(caller.resolve("orders", "default").port());
      }

      Map<Integer, Integer> counts = new HashMap<>();
      ports.forEach(port -> counts.merge(port, 1, Integer::sum));
      assertThat(counts)
          .containsOnly(Map.entry(50101, 3), Map.entry(50102, 3), Map.entry(50103, 3));
      // A turn visits every instance before any twice.
      assertThat(Set.copyOf(ports.subList(0, 3))).hasSize(3);
      assertThat(ports.subList(3, 6)).isEqualTo(ports.subList(0, 3));
    } finally {
      instances.forEach(LocalRegistryResolver::close);
    }
  }

  @Test
  @Timeout(60)
  void anInstanceWhoseProcessWasKilledIsNoLongerChosen() throws Exception {
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                RegistryChild.class.getName(),
                directory.toString(),
                "orders",
                "50201")
            .redirectErrorStream(true)
            .start();
    try (LocalRegistryResolver caller = resolver();
        LocalRegistryResolver local = resolver()) {
      BufferedReader output =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(output.readLine()).isEqualTo("registered");
      local.register(instance("orders", 50202));
      Set<Integer> seen = new java.util.HashSet<>();
      for (int i = 0; i < 4; i++) {
        seen.add(caller.resolve("orders", "default").port());
      }
      assertThat(seen).containsExactlyInAnyOrder(50201, 50202);

      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

      // The kill -9 left the child's entry behind; the next resolves find its process gone.
      long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (entries().size() > 1 && System.nanoTime() < deadline) {
        caller.resolve("orders", "default");
      }
      for (int i = 0; i < 20; i++) {
        assertThat(caller.resolve("orders", "default").port()).isEqualTo(50202);
      }
      assertThat(entries()).hasSize(1);
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void anEntryOfAnExitedProcessIsRemovedAndNotChosen() throws Exception {
    Process done =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
            .redirectErrorStream(true)
            .start();
    done.getInputStream().readAllBytes();
    assertThat(done.waitFor(30, TimeUnit.SECONDS)).isTrue();
    try (LocalRegistryResolver stale = resolver();
        LocalRegistryResolver caller = resolver()) {
      stale.register(
          AppInstance.builder().appId("orders").internalGrpcPort(50300).pid(done.pid()).build());
      assertThat(entries()).hasSize(1);

      assertThatThrownBy(() -> caller.resolve("orders", "default"))
          .isInstanceOf(AppNotFoundException.class);
      assertThat(entries()).isEmpty();
    }
  }

  @Test
  void anEntryWhoseProcessIdNowNamesAnotherProcessIsRemoved() throws Exception {
    long parent = ProcessHandle.current().parent().orElseThrow().pid();
    Files.writeString(
        directory.resolve(parent + "-00aa" + LocalRegistryResolver.SUFFIX),
        "format=1\nappId=orders\nnamespace=default\nhost=127.0.0.1\ninternalGrpcPort=50400\n"
            + "pid="
            + parent
            + "\nprocessStart=1000\n");
    try (LocalRegistryResolver caller = resolver()) {
      assertThatThrownBy(() -> caller.resolve("orders", "default"))
          .isInstanceOf(AppNotFoundException.class);
      assertThat(entries()).isEmpty();
    }
  }

  @Test
  void halfWrittenAndMalformedFilesAreSkipped() throws Exception {
    long self = ProcessHandle.current().pid();
    // A registration in progress: the temporary name is never read.
    Files.writeString(
        directory.resolve("." + self + "-01" + LocalRegistryResolver.SUFFIX + ".tmp"),
        "format=1\nappId=orders\n");
    Files.writeString(directory.resolve(self + "-02" + LocalRegistryResolver.SUFFIX), "garbage");
    Files.writeString(
        directory.resolve(self + "-03" + LocalRegistryResolver.SUFFIX),
        "format=1\nappId=orders\nnamespace=default\nhost=127.0.0.1\n");
    try (LocalRegistryResolver publisher = resolver();
        LocalRegistryResolver caller = resolver()) {
      publisher.register(instance("orders", 50500));
      for (int i = 0; i < 5; i++) {
        assertThat(caller.resolve("orders", "default").port()).isEqualTo(50500);
      }
    }
  }

  @Test
  void anAddressThatRefusesIsSkippedUntilItAccepts() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0)) {
      closedPort = probe.getLocalPort();
    }
    try (ServerSocket open = new ServerSocket(0);
        LocalRegistryResolver publisher = resolver();
        LocalRegistryResolver caller = resolver()) {
      publisher.register(instance("orders", closedPort));
      publisher.register(instance("orders", open.getLocalPort()));
      caller.resolve("orders", "default");

      caller.unreachable("orders", "default", new AppAddress("127.0.0.1", closedPort));
      caller.unreachable("orders", "default", new AppAddress("127.0.0.1", open.getLocalPort()));

      for (int i = 0; i < 6; i++) {
        assertThat(caller.resolve("orders", "default").port()).isEqualTo(open.getLocalPort());
      }
      try (ServerSocket reopened = new ServerSocket(closedPort)) {
        Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 6; i++) {
          seen.add(caller.resolve("orders", "default").port());
          Thread.sleep(2);
        }
        assertThat(seen).contains(closedPort);
      }
    }
  }

  @Test
  @Timeout(120)
  void concurrentRegistrationsAndResolutionsNeverSeeHalfAnEntry() throws Exception {
    int permanentPort = 50600;
    Set<Integer> churnPorts = ConcurrentHashMap.newKeySet();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    try (LocalRegistryResolver permanent = resolver()) {
      permanent.register(instance("orders", permanentPort));
      CountDownLatch started = new CountDownLatch(8);
      for (int w = 0; w < 4; w++) {
        int base = 51000 + w * 1000;
        threads.add(
            new Thread(
                () -> {
                  started.countDown();
                  try (LocalRegistryResolver writer = resolver()) {
                    for (int i = 0; running.get(); i++) {
                      int port = base + i % 1000;
                      churnPorts.add(port);
                      writer.register(instance("orders", port)).close();
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  }
                }));
      }
      for (int r = 0; r < 4; r++) {
        threads.add(
            new Thread(
                () -> {
                  started.countDown();
                  try (LocalRegistryResolver reader = resolver()) {
                    while (running.get()) {
                      int port = reader.resolve("orders", "default").port();
                      if (port != permanentPort && !churnPorts.contains(port)) {
                        throw new AssertionError("resolved a port never registered: " + port);
                      }
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  }
                }));
      }
      threads.forEach(Thread::start);
      started.await();
      Thread.sleep(1500);
      running.set(false);
      for (Thread thread : threads) {
        thread.join();
      }
      assertThat(failures).isEmpty();
      assertThat(churnPorts.size()).isGreaterThan(8);
      assertThat(entries()).hasSize(1);
      try (Stream<Path> files = Files.list(directory)) {
        assertThat(files.filter(file -> file.getFileName().toString().endsWith(".tmp"))).isEmpty();
      }
    }
  }

  @Test
  void aDirectoryOtherUsersCanWriteIsRefused() throws Exception {
    Path shared = directory.resolve("shared");
    Files.createDirectory(shared);
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (LocalRegistryResolver resolver =
        LocalRegistryResolver.builder().directory(shared).build()) {
      assertThatThrownBy(() -> resolver.register(instance("orders", 50700)))
          .isInstanceOf(NameResolutionException.class)
          .hasMessageContaining(shared.toString())
          .hasMessageContaining("writable by other users");
    }
  }

  @Test
  void aMissingDirectoryIsCreatedForTheOwnerOnly() throws Exception {
    Path nested = directory.resolve("pillion-test").resolve("registry");
    try (LocalRegistryResolver resolver =
        LocalRegistryResolver.builder().directory(nested).build()) {
      resolver.register(instance("orders", 50800));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(nested)))
          .isEqualTo("rwx------");
      try (Stream<Path> files = Files.list(nested)) {
        Path entry = files.findFirst().orElseThrow();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(entry)))
            .isEqualTo("rw-------");
      }
    }
  }

  @Test
  void theDefaultDirectoryIsTheSessionRuntimeDirectoryWhenThereIsOne() {
    assertThat(RegistryDirectory.defaultDirectory(Map.of("XDG_RUNTIME_DIR", directory.toString())))
        .isEqualTo(directory.resolve("pillion").resolve("registry"));
    assertThat(RegistryDirectory.defaultDirectory(Map.of()))
        .isEqualTo(
            Path.of(
                System.getProperty("java.io.tmpdir"),
                "pillion-" + System.getProperty("user.name").replaceAll("[^A-Za-z0-9._-]", "_"),
                "registry"));
  }

  private List<Path> entries() throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files
          .filter(file -> file.getFileName().toString().endsWith(LocalRegistryResolver.SUFFIX))
          .toList();
    }
  }
}
