package dev.pillion.wasm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Resolves a guest's path against a directory it holds, one component at a time, the way the kernel
 * does, but never leaving that directory: {@code ..} at the directory is refused, symbolic links
 * are followed by reading them and resolving their text in turn (so a link to {@code /etc} or to
 * {@code ../..} is refused, a link to a sibling file inside works), and absolute paths are refused.
 * The result names no symbolic link except, when the last component is not followed, that component
 * itself.
 */
final class ConfinedPaths {
  /** Symbolic links followed in one resolution before it fails with ELOOP, as Linux does. */
  static final int MAX_SYMLINKS = 40;

  private ConfinedPaths() {}

  /** A refusal carrying the WASI errno to answer; cheap, without a stack trace. */
  static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final int errno;

    Refusal(int errno) {
      super(null, null, false, false);
      this.errno = errno;
    }
  }

  /**
   * Resolves {@code raw} inside {@code directory}.
   *
   * @param directory the real path of the directory the guest resolves against
   * @param raw the guest's relative path
   * @param followLast whether a symbolic link as the last component is followed
   * @return a path inside {@code directory}; it may not exist
   * @throws Refusal with ENOTCAPABLE if the path leads outside, or the errno of the lookup
   */
  static Path resolve(Path directory, String raw, boolean followLast) throws Refusal {
    if (raw.isEmpty()) {
      throw new Refusal(WasiErrno.NOENT);
    }
    if (raw.indexOf('\0') >= 0) {
      throw new Refusal(WasiErrno.INVAL);
    }
    if (raw.startsWith("/")) {
      throw new Refusal(WasiErrno.NOTCAPABLE);
    }
    boolean follow = followLast || raw.endsWith("/");
    Deque<String> pending = new ArrayDeque<>();
    pushFront(pending, raw);
    Path current = directory;
    int links = 0;
    while (!pending.isEmpty()) {
      String name = pending.pollFirst();
      if (name.equals("..")) {
        if (current.equals(directory)) {
          throw new Refusal(WasiErrno.NOTCAPABLE);
        }
        current = current.getParent();
        continue;
      }
      Path next;
      try {
        next = current.resolve(name);
      } catch (InvalidPathException e) {
        throw new Refusal(WasiErrno.INVAL);
      }
      boolean last = pending.isEmpty();
      BasicFileAttributes attributes = lstat(next);
      if (attributes != null && attributes.isSymbolicLink() && (follow || !last)) {
        if (++links > MAX_SYMLINKS) {
          throw new Refusal(WasiErrno.LOOP);
        }
        Path target;
        try {
          target = Files.readSymbolicLink(next);
        } catch (IOException e) {
          throw new Refusal(WasiErrno.IO);
        }
        if (target.isAbsolute()) {
          // Followed only while it names a path under the directory; resolved from there.
          if (!target.startsWith(directory)) {
            throw new Refusal(WasiErrno.NOTCAPABLE);
          }
          current = directory;
          if (target.getNameCount() > directory.getNameCount()) {
            pushFront(
                pending,
                target.subpath(directory.getNameCount(), target.getNameCount()).toString());
          }
        } else {
          pushFront(pending, target.toString());
        }
        continue;
      }
      if (!last) {
        if (attributes == null) {
          throw new Refusal(WasiErrno.NOENT);
        }
        if (!attributes.isDirectory()) {
          throw new Refusal(WasiErrno.NOTDIR);
        }
      }
      current = next;
    }
    return current;
  }

  /**
   * The path to hand to Chicory for {@code resolved}: relative to {@code directory}, free of {@code
   * ..} and of symbolic links, keeping a trailing slash of the guest's path.
   */
  static String relative(Path directory, Path resolved, String raw) {
    String relative = directory.relativize(resolved).toString();
    if (relative.isEmpty()) {
      return ".";
    }
    return raw.endsWith("/") ? relative + "/" : relative;
  }

  private static void pushFront(Deque<String> pending, String path) {
    String[] names = path.split("/");
    for (int i = names.length - 1; i >= 0; i--) {
      if (!names[i].isEmpty() && !names[i].equals(".")) {
        pending.addFirst(names[i]);
      }
    }
  }

  private static BasicFileAttributes lstat(Path path) throws Refusal {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      // ENOTDIR and EACCES on the way, a name too long for the host: nothing is there for us.
      return null;
    } catch (SecurityException e) {
      throw new Refusal(WasiErrno.PERM);
    }
  }
}
