package dev.pillion.wasm;

import com.dylibso.chicory.runtime.CompiledModule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a component's Wasm comes from: a file, a classpath resource, bytes, or a module compiled at
 * build time. Create with the static factories.
 */
public abstract sealed class ModuleSource {
  private ModuleSource() {}

  /**
   * A {@code .wasm} file.
   *
   * @param path the file
   * @return the source
   */
  public static ModuleSource file(Path path) {
    return new FileSource(Objects.requireNonNull(path, "path"));
  }

  /**
   * A classpath resource.
   *
   * @param resource the resource name, e.g. {@code components/my.wasm}
   * @param loader the class loader to read it with
   * @return the source
   */
  public static ModuleSource classpath(String resource, ClassLoader loader) {
    return new ClasspathSource(
        Objects.requireNonNull(resource, "resource"), Objects.requireNonNull(loader));
  }

  /**
   * Wasm bytes in memory (copied).
   *
   * @param wasm the module's bytes
   * @param description how to name the bytes in messages
   * @return the source
   */
  public static ModuleSource bytes(byte[] wasm, String description) {
    return new BytesSource(wasm.clone(), Objects.requireNonNull(description, "description"));
  }

  /**
   * A module compiled to JVM bytecode at build time by Chicory's compiler Maven plugin (its
   * generated class implements {@link CompiledModule}), so loading it compiles nothing.
   *
   * @param moduleName a name for messages, e.g. {@code state-in-memory}
   * @param module an instance of the generated class
   * @return the source
   */
  public static ModuleSource precompiled(String moduleName, CompiledModule module) {
    return new Precompiled(
        Objects.requireNonNull(moduleName, "moduleName"), Objects.requireNonNull(module, "module"));
  }

  /**
   * How to name this source in messages.
   *
   * @return a description such as the file path
   */
  public abstract String describe();

  /**
   * Reads the module's bytes; empty for precompiled modules.
   *
   * @return the bytes
   * @throws IOException when the file or resource cannot be read
   */
  abstract Optional<byte[]> readBytes() throws IOException;

  /**
   * The build-time compiled module, if this is one.
   *
   * @return the precompiled module, or empty
   */
  Optional<CompiledModule> precompiled() {
    return Optional.empty();
  }

  @Override
  public String toString() {
    return describe();
  }

  private static final class FileSource extends ModuleSource {
    private final Path path;

    FileSource(Path path) {
      this.path = path;
    }

    @Override
    public String describe() {
      return "file " + path;
    }

    @Override
    Optional<byte[]> readBytes() throws IOException {
      return Optional.of(Files.readAllBytes(path));
    }
  }

  private static final class ClasspathSource extends ModuleSource {
    private final String resource;
    private final ClassLoader loader;

    ClasspathSource(String resource, ClassLoader loader) {
      this.resource = resource;
      this.loader = loader;
    }

    @Override
    public String describe() {
      return "classpath resource " + resource;
    }

    @Override
    Optional<byte[]> readBytes() throws IOException {
      try (InputStream in = loader.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IOException("no such classpath resource: " + resource);
        }
        return Optional.of(in.readAllBytes());
      }
    }
  }

  private static final class BytesSource extends ModuleSource {
    private final byte[] wasm;
    private final String description;

    BytesSource(byte[] wasm, String description) {
      this.wasm = wasm;
      this.description = description;
    }

    @Override
    public String describe() {
      return description;
    }

    @Override
    Optional<byte[]> readBytes() {
      return Optional.of(wasm);
    }
  }

  private static final class Precompiled extends ModuleSource {
    private final String moduleName;
    private final CompiledModule module;

    Precompiled(String moduleName, CompiledModule module) {
      this.moduleName = moduleName;
      this.module = module;
    }

    @Override
    public String describe() {
      return "bundled module " + moduleName;
    }

    @Override
    Optional<byte[]> readBytes() {
      return Optional.empty();
    }

    @Override
    Optional<CompiledModule> precompiled() {
      return Optional.of(module);
    }
  }
}
