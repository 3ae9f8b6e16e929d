package dev.pillion.wasm;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A host directory granted to a component's guests under a guest path (a WASI preopened directory).
 * Immutable. A grant is read-only unless made {@link #writable(String, Path, long) writable}, and a
 * writable grant has a quota: how many bytes the component may write into it.
 *
 * <p>The guest sees only what lies inside the directory's real path: symbolic links are followed
 * only while they stay inside it, {@code ..} never leaves it, absolute paths are refused, and the
 * guest cannot create links. The quota counts every byte written through {@code fd_write} and
 * {@code fd_pwrite} (overwrites included), the growth of files through {@code fd_allocate} and
 * {@code fd_filestat_set_size}, and 4 KiB for each file or directory created; it counts from the
 * moment the component is loaded (what the directory already holds does not count), and deleting or
 * truncating files does not give bytes back. All instances of a component share the quota.
 *
 * @param guestPath the path the guest sees, e.g. {@code /data}
 * @param hostDirectory the host directory behind it
 * @param writable whether the guest may change the directory
 * @param quotaBytes the write quota of a writable grant; 0 for a read-only one
 */
public record Preopen(String guestPath, Path hostDirectory, boolean writable, long quotaBytes) {
  /** Checks the fields. */
  public Preopen {
    Objects.requireNonNull(guestPath, "guestPath");
    Objects.requireNonNull(hostDirectory, "hostDirectory");
    if (guestPath.isEmpty() || guestPath.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "preopen guest path must be non-empty and free of NUL characters, got '"
              + guestPath
              + "'");
    }
    if (quotaBytes < 0) {
      throw new IllegalArgumentException(
          "preopen quota of " + guestPath + " must not be negative, got " + quotaBytes);
    }
    if (!writable && quotaBytes != 0) {
      throw new IllegalArgumentException(
          "preopen " + guestPath + " is read-only, so it cannot have a quota");
    }
  }

  /**
   * A read-only grant: the guest may list, stat and read, nothing else.
   *
   * @param guestPath the path the guest sees
   * @param hostDirectory the host directory
   * @return the grant
   */
  public static Preopen readOnly(String guestPath, Path hostDirectory) {
    return new Preopen(guestPath, hostDirectory, false, 0);
  }

  /**
   * A writable grant: the guest may also create, write, rename and delete files and directories
   * (but not links), writing at most {@code quotaBytes}.
   *
   * @param guestPath the path the guest sees
   * @param hostDirectory the host directory
   * @param quotaBytes how many bytes the component may write (see the class comment)
   * @return the grant
   */
  public static Preopen writable(String guestPath, Path hostDirectory, long quotaBytes) {
    return new Preopen(guestPath, hostDirectory, true, quotaBytes);
  }

  @Override
  public String toString() {
    return guestPath
        + "="
        + hostDirectory
        + (writable ? " (writable, quota " + quotaBytes + " bytes)" : " (read-only)");
  }
}
