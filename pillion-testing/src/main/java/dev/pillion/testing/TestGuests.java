package dev.pillion.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The test guests: Wasm modules built from the C sources in {@code components/fixtures} (hostile,
 * misbehaving, legacy-ABI and broken components) by {@code components/build.sh}, loaded by name
 * (the source's file name without {@code .c}, e.g. {@code misbehaving-state}). The one way tests
 * and benchmarks of every module reach them. Also the Wasm apps of the app host's tests: {@code
 * app-contract} (Rust) and {@code order-counter} (AssemblyScript, examples/apps).
 */
public final class TestGuests {
  /**
   * Where the guests are in the jar: a folder that is not a package name (the hyphens), so that, on
   * the module path, the resources are not encapsulated and any class loader reads them.
   */
  private static final String FOLDER = "pillion-test-guests/";

  private static final Pattern NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
  private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

  private TestGuests() {}

  /**
   * The bytes of a guest.
   *
   * @param name e.g. {@code misbehaving-state}
   * @return the module's bytes
   * @throws IllegalArgumentException when no guest has that name
   */
  public static byte[] bytes(String name) {
    try (InputStream in = open(name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("test guest " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * The file of a guest, for tests that name it in a component's {@code url} metadata. From a jar,
   * the guest is copied once to a temporary file.
   *
   * @param name e.g. {@code goplugin-v01-state}
   * @return its absolute path
   * @throws IllegalArgumentException when no guest has that name
   */
  public static Path path(String name) {
    URL url = url(name);
    if ("file".equals(url.getProtocol())) {
      try {
        return Path.of(url.toURI());
      } catch (URISyntaxException e) {
        throw new IllegalStateException("test guest " + name + ": " + url, e);
      }
    }
    return EXTRACTED.computeIfAbsent(name, TestGuests::extract);
  }

  private static Path extract(String name) {
    try (InputStream in = open(name)) {
      Path file = Files.createTempFile("pillion-test-guest-" + name + "-", ".wasm");
      file.toFile().deleteOnExit();
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("test guest " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * The class-path resource of a guest, for code that reads resources itself (such as {@code
   * ModuleSource.classpath}); read lazily there, so an unknown name fails only when read.
   *
   * @param name e.g. {@code misbehaving-state}
   * @return the resource name, for {@link #classLoader()}
   * @throws IllegalArgumentException when the name is not a file name
   */
  public static String resource(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "test guest name '" + name + "' is not a file name of components/fixtures without .c");
    }
    return FOLDER + name + ".wasm";
  }

  /**
   * The class loader that has the guests.
   *
   * @return the loader of this artifact
   */
  public static ClassLoader classLoader() {
    return TestGuests.class.getClassLoader();
  }

  private static InputStream open(String name) throws IOException {
    return url(name).openStream();
  }

  private static URL url(String name) {
    URL url = classLoader().getResource(resource(name));
    if (url == null) {
      throw new IllegalArgumentException(
          "no test guest '"
              + name
              + "': components/fixtures/"
              + name
              + ".c does not exist or was not built (run components/build.sh)");
    }
    return url;
  }
}
