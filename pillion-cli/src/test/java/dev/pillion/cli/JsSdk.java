package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the tests through the official Dapr JavaScript SDK share: Node.js (the tests are skipped
 * only when it is missing) and {@code sdk-tests/js} with the pinned SDK installed.
 */
final class JsSdk {
  private JsSdk() {}

  /**
   * Skips the calling test when Node.js is missing; fails it when the SDK is not installed.
   *
   * @param what the test, for the skip message
   * @return Node.js's version
   */
  static String requireNode(String what) {
    Optional<String> node = nodeVersion();
    assumeTrue(
        node.isPresent(),
        "Node.js is not installed ('node' is not on the PATH): the JS SDK "
            + what
            + " test is skipped; scripts/install-toolchain.sh installs Node.js and the SDK");
    assertThat(directory().resolve("node_modules/@dapr/dapr/package.json"))
        .as(
            "the Dapr JS SDK is not installed in %s: run `npm ci` there"
                + " (scripts/install-toolchain.sh does)",
            directory())
        .exists();
    return node.get();
  }

  /**
   * The directory of the JS SDK tests.
   *
   * @return {@code sdk-tests/js}
   */
  static Path directory() {
    return Path.of("..", "sdk-tests", "js").toAbsolutePath().normalize();
  }

  private static Optional<String> nodeVersion() {
    try {
      Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      String version = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return node.waitFor(30, TimeUnit.SECONDS) && node.exitValue() == 0
          ? Optional.of(version.trim())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * A port free now.
   *
   * @return the port
   * @throws IOException when no socket can be opened
   */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
