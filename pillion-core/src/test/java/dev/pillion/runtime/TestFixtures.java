package dev.pillion.runtime;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Paths of the C fixtures (components/fixtures), copied to the test classpath under fixtures/. */
public final class TestFixtures {
  private TestFixtures() {}

  /**
   * The file of a fixture.
   *
   * @param name e.g. {@code misbehaving-state}
   * @return its absolute path
   */
  public static Path path(String name) {
    URL url = TestFixtures.class.getClassLoader().getResource("fixtures/" + name + ".wasm");
    if (url == null) {
      throw new IllegalStateException(
          "fixture " + name + ".wasm is not on the test classpath; run components/build.sh");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
