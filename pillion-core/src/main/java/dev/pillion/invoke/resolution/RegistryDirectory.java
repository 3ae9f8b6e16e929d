package dev.pillion.invoke.resolution;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The directory of the same-machine registry: one per user, private to that user. Another user's
 * runtimes are not found (nor can another user plant entries that would redirect this user's
 * calls).
 */
final class RegistryDirectory {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> SHARED_WRITE =
      EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

  private RegistryDirectory() {}

  /**
   * The default directory: {@code $XDG_RUNTIME_DIR/pillion/registry} where the session has a
   * runtime directory (private, and emptied at logout and reboot), otherwise {@code
   * <java.io.tmpdir>/pillion-<user>/registry}.
   *
   * @param environment the process environment
   * @return the directory, not yet created
   */
  static Path defaultDirectory(Map<String, String> environment) {
    String runtimeDirectory = environment.getOrDefault("XDG_RUNTIME_DIR", "");
    if (!runtimeDirectory.isBlank() && Files.isDirectory(Path.of(runtimeDirectory))) {
      return Path.of(runtimeDirectory, "pillion", "registry");
    }
    String user = System.getProperty("user.name", "").replaceAll("[^A-Za-z0-9._-]", "_");
    return Path.of(System.getProperty("java.io.tmpdir"), "pillion-" + (user.isEmpty() ? "_" : user))
        .resolve("registry");
  }

  /**
   * Creates the directory (owner-only on POSIX file systems) and checks that it belongs to this
   * user and that no other user can write to it.
   *
   * @param directory the directory
   * @return the directory
   * @throws NameResolutionException naming the directory and what is wrong with it
   */
  static Path prepare(Path directory) {
    try {
      boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
      if (!Files.isDirectory(directory)) {
        if (posix) {
          createOwnerOnly(directory);
        } else {
          Files.createDirectories(directory);
        }
      }
      if (posix) {
        // The directory itself is what matters: were a parent another user's, a directory swapped
        // in by them would be theirs too and fail this check.
        check(directory);
      }
      return directory;
    } catch (IOException e) {
      throw new NameResolutionException(
          "the name resolution registry directory " + directory + " cannot be created: " + e, e);
    }
  }

  private static void createOwnerOnly(Path directory) throws IOException {
    Path parent = directory.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      createOwnerOnly(parent);
    }
    try {
      Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (java.nio.file.FileAlreadyExistsException raced) {
      // Another runtime created it first; check() below decides whether it is acceptable.
    }
  }

  private static void check(Path directory) throws IOException {
    int owner = (Integer) Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    long self = new UnixSystem().getUid();
    if (owner != self) {
      throw new NameResolutionException(
          "the name resolution registry directory "
              + directory
              + " belongs to user id "
              + owner
              + ", not to this user ("
              + self
              + "); remove it or choose another directory in spec.nameResolution.configuration"
              + ".directory");
    }
    if (Files.isSymbolicLink(directory)) {
      throw new NameResolutionException(
          "the name resolution registry directory " + directory + " is a symbolic link");
    }
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory);
    if (permissions.stream().anyMatch(SHARED_WRITE::contains)) {
      throw new NameResolutionException(
          "the name resolution registry directory "
              + directory
              + " is writable by other users ("
              + PosixFilePermissions.toString(permissions)
              + "); any of them could redirect this user's service invocations. Make it "
              + "rwx------ or choose another directory");
    }
  }
}
