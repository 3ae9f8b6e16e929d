package dev.pillion.wasm;

import com.dylibso.chicory.compiler.Cache;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;

/**
 * Keeps runtime-compiled modules on disk, keyed by the module's digest, so a user module is
 * compiled once per machine rather than once per start. Entries are written to a temporary file and
 * moved into place, so concurrent processes never read a half-written entry.
 */
final class DirectoryCompileCache implements Cache {
  private final Path directory;

  DirectoryCompileCache(Path directory) {
    this.directory = directory;
  }

  private Path entry(String key) {
    String safe =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(key.getBytes(StandardCharsets.UTF_8));
    return directory.resolve(safe + ".jar");
  }

  @Override
  public byte[] get(String key) throws IOException {
    Path file = entry(key);
    return Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
  }

  @Override
  public void putIfAbsent(String key, byte[] data) throws IOException {
    Path file = entry(key);
    if (Files.exists(file)) {
      return;
    }
    Files.createDirectories(directory);
    Path temporary = Files.createTempFile(directory, "entry", ".tmp");
    try {
      Files.write(temporary, data);
      Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      // Another process published the same entry first; theirs is identical.
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
