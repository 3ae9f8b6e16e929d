package dev.pillion.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasi.WasiPreview1;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Chicory's WASI preview 1 functions for one guest instance, each behind a guard.
 *
 * <p>Every guest pointer and length is checked against the guest's current memory before anything
 * is read, written or allocated: a range outside memory answers EFAULT, an iovec array longer than
 * {@value #MAX_IOVECS} entries or whose lengths add up to more than the memory (or 2 GiB) answers
 * EINVAL, a path longer than {@value #MAX_PATH_BYTES} bytes ENAMETOOLONG, a path that is not UTF-8
 * EILSEQ. The guest sees an errno, the instance keeps running, and the host never allocates more
 * than the guest's memory could hold.
 *
 * <p>The file system is confined to the preopened directories. The guard keeps its own table of the
 * guest's descriptors (which grant each directory and file came from, and whether a file was opened
 * for writing); every {@code path_*} function resolves the guest's path with {@link ConfinedPaths}
 * and hands Chicory only the resulting path, free of symbolic links and of {@code ..}. Read-only
 * grants refuse every change with EROFS; writable grants count writes against their {@link
 * WriteQuota} (EDQUOT past it); links cannot be created (EPERM); a guest has at most {@value
 * #MAX_OPEN} files and directories open (EMFILE). stdin is empty, and stdout and stderr are written
 * straight from guest memory into {@link ComponentOutput}.
 */
final class GuardedWasi {
  static final int MAX_PATH_BYTES = 4096;
  static final int MAX_IOVECS = 1024;
  static final int MAX_OPEN = 128;
  static final long CREATE_COST = 4096;

  private static final long MASK = 0xFFFF_FFFFL;
  private static final int LOOKUP_SYMLINK_FOLLOW = 1;
  private static final int OFLAGS_CREAT = 1;
  private static final int OFLAGS_TRUNC = 1 << 3;
  private static final int FDFLAGS_APPEND = 1;
  private static final long RIGHTS_FD_WRITE = 1L << 6;
  private static final int FILETYPE_UNKNOWN = 0;
  private static final int FILETYPE_DIRECTORY = 3;
  private static final int FILETYPE_REGULAR_FILE = 4;
  private static final int FILETYPE_SYMBOLIC_LINK = 7;
  private static final int DIRENT_SIZE = 24;

  /** What a guest descriptor is. */
  enum Kind {
    STDIN,
    STDOUT,
    STDERR,
    PREOPEN,
    DIRECTORY,
    FILE
  }

  /**
   * A preopen of this instance.
   *
   * @param preopen the grant
   * @param root the real path of its host directory
   * @param quota its write quota, shared by the component's instances; null if read-only
   */
  record Grant(Preopen preopen, Path root, WriteQuota quota) {
    boolean writable() {
      return preopen.writable();
    }
  }

  /**
   * The guard's view of one guest descriptor.
   *
   * @param kind what it is
   * @param grant the preopen it was opened from (null for stdio)
   * @param path the real path it was opened at (null for stdio)
   * @param writable for files: opened for writing, in a writable grant
   * @param fileKey for files: the file's identity when opened, to recognize it later
   */
  record Descriptor(Kind kind, Grant grant, Path path, boolean writable, Object fileKey) {
    boolean directory() {
      return kind == Kind.PREOPEN || kind == Kind.DIRECTORY;
    }
  }

  private final WasiPreview1 wasi;
  private final ComponentOutput stdout;
  private final ComponentOutput stderr;
  private final Map<Integer, Descriptor> fds = new HashMap<>();
  private final int environmentCount;
  private final long environmentBytes;
  private int opened;

  /**
   * Guards {@code wasi}, which must have been built with stdin, stdout, stderr and then the grants'
   * real roots as its directories, in this order (Chicory numbers them 0, 1, 2, 3, ...), and with
   * exactly {@code environment} as its environment.
   */
  GuardedWasi(
      WasiPreview1 wasi,
      ComponentOutput stdout,
      ComponentOutput stderr,
      List<Grant> grants,
      Map<String, String> environment) {
    this.wasi = wasi;
    this.stdout = stdout;
    this.stderr = stderr;
    this.environmentCount = environment.size();
    // environ_get writes one pointer per variable and the strings "NAME=VALUE\0", in UTF-8.
    long bytes = 0;
    for (Map.Entry<String, String> variable : environment.entrySet()) {
      bytes +=
          variable.getKey().getBytes(StandardCharsets.UTF_8).length
              + variable.getValue().getBytes(StandardCharsets.UTF_8).length
              + 2;
    }
    this.environmentBytes = bytes;
    fds.put(0, new Descriptor(Kind.STDIN, null, null, false, null));
    fds.put(1, new Descriptor(Kind.STDOUT, null, null, false, null));
    fds.put(2, new Descriptor(Kind.STDERR, null, null, false, null));
    for (int i = 0; i < grants.size(); i++) {
      Grant grant = grants.get(i);
      fds.put(3 + i, new Descriptor(Kind.PREOPEN, grant, grant.root(), false, null));
    }
  }

  /**
   * The guarded functions, one for each function Chicory implements.
   *
   * @return the host functions
   * @throws IllegalStateException if Chicory implements a function this class does not guard
   */
  List<HostFunction> functions() {
    List<HostFunction> functions = new ArrayList<>();
    for (HostFunction original : wasi.toHostFunctions()) {
      functions.add(
          new HostFunction(
              original.module(),
              original.name(),
              original.functionType(),
              guard(original.name(), original.handle())));
    }
    return functions;
  }

  private WasmFunctionHandle guard(String name, WasmFunctionHandle chicory) {
    switch (name) {
      // No guest memory, no file system change: Chicory's own checks suffice.
      case "adapter_close_badfd":
      case "adapter_open_badfd":
      case "fd_advise":
      case "fd_datasync":
      case "fd_sync":
      case "fd_fdstat_set_flags":
      case "fd_fdstat_set_rights":
      case "proc_exit":
      case "proc_raise":
      case "sched_yield":
      case "sock_shutdown":
        return chicory;
      // The sandbox has no arguments: nothing to write.
      case "args_get":
        return (instance, args) -> result(WasiErrno.SUCCESS);
      // The granted variables only, written where the guest's memory can hold them.
      case "environ_get":
        return checked(
            chicory,
            (memory, args) ->
                fits(memory, args[0], 4L * environmentCount)
                    && fits(memory, args[1], environmentBytes));
      case "args_sizes_get":
      case "environ_sizes_get":
        return checked(
            chicory, (memory, args) -> fits(memory, args[0], 4) && fits(memory, args[1], 4));
      case "clock_res_get":
        return checked(chicory, (memory, args) -> fits(memory, args[1], 8));
      case "clock_time_get":
        return checked(chicory, (memory, args) -> fits(memory, args[2], 8));
      case "fd_fdstat_get":
        return checked(chicory, (memory, args) -> fits(memory, args[1], 24));
      case "fd_filestat_get":
        return checked(chicory, (memory, args) -> fits(memory, args[1], 64));
      case "fd_prestat_get":
        return checked(chicory, (memory, args) -> fits(memory, args[1], 8));
      case "fd_prestat_dir_name":
        return checked(chicory, (memory, args) -> fits(memory, args[1], args[2] & MASK));
      case "fd_seek":
        return checked(chicory, (memory, args) -> fits(memory, args[3], 8));
      case "fd_tell":
        return checked(chicory, (memory, args) -> fits(memory, args[1], 8));
      case "random_get":
        return checked(chicory, (memory, args) -> fits(memory, args[0], args[1] & MASK));
      case "poll_oneoff":
        return this::pollOneoff;
      case "fd_read":
        return (instance, args) -> fdRead(instance, args, chicory);
      case "fd_pread":
        return (instance, args) -> fdPread(instance, args, chicory);
      case "fd_write":
        return (instance, args) -> fdWrite(instance, args, chicory, false);
      case "fd_pwrite":
        return (instance, args) -> fdWrite(instance, args, chicory, true);
      case "fd_allocate":
        return (instance, args) -> fdAllocate(instance, args, chicory);
      case "fd_filestat_set_size":
        return (instance, args) -> fdFilestatSetSize(instance, args, chicory);
      case "fd_filestat_set_times":
        return (instance, args) -> fdFilestatSetTimes(instance, args, chicory);
      case "fd_close":
        return (instance, args) -> fdClose(instance, args, chicory);
      case "fd_renumber":
        return (instance, args) -> fdRenumber(instance, args, chicory);
      case "fd_readdir":
        return this::fdReaddir;
      case "path_open":
        return this::pathOpen;
      case "path_create_directory":
        return this::pathCreateDirectory;
      case "path_filestat_get":
        return this::pathFilestatGet;
      case "path_filestat_set_times":
        return this::pathFilestatSetTimes;
      case "path_readlink":
        return this::pathReadlink;
      case "path_remove_directory":
        return this::pathRemoveDirectory;
      case "path_rename":
        return this::pathRename;
      case "path_unlink_file":
        return this::pathUnlinkFile;
      case "path_link":
        // A hard link could make a file of a read-only grant writable through a writable one.
        return (instance, args) ->
            fits(instance.memory(), args[2], args[3] & MASK)
                    && fits(instance.memory(), args[5], args[6] & MASK)
                ? result(WasiErrno.PERM)
                : result(WasiErrno.FAULT);
      case "path_symlink":
        // A guest-made symbolic link is an escape waiting for a race; links come from the host.
        return (instance, args) ->
            fits(instance.memory(), args[0], args[1] & MASK)
                    && fits(instance.memory(), args[3], args[4] & MASK)
                ? result(WasiErrno.PERM)
                : result(WasiErrno.FAULT);
      case "sock_accept":
      case "sock_recv":
      case "sock_send":
        // No sockets are granted: answer like a runtime without them instead of trapping.
        return (instance, args) -> result(WasiErrno.NOTSUP);
      default:
        throw new IllegalStateException(
            "WASI function " + name + " has no guard; review it before granting it to guests");
    }
  }

  /** A check of a function's pointers before Chicory runs it. */
  @FunctionalInterface
  private interface PointerCheck {
    boolean test(Memory memory, long[] args);
  }

  private static WasmFunctionHandle checked(WasmFunctionHandle chicory, PointerCheck check) {
    return (instance, args) ->
        check.test(instance.memory(), args)
            ? chicory.apply(instance, args)
            : result(WasiErrno.FAULT);
  }

  private static long[] result(int errno) {
    return new long[] {errno};
  }

  /** Whether {@code [pointer, pointer + length)} lies in the guest's memory (pointer unsigned). */
  private static boolean fits(Memory memory, long pointer, long length) {
    return GuestMemory.contains(memory, pointer & MASK, length);
  }

  /**
   * Checks an iovec array and every buffer it names.
   *
   * @return the sum of the lengths, or minus the errno
   */
  private static long iovecs(Memory memory, long iovs, long count) {
    long entries = count & MASK;
    if (entries > MAX_IOVECS) {
      return -WasiErrno.INVAL;
    }
    if (!fits(memory, iovs, entries * 8)) {
      return -WasiErrno.FAULT;
    }
    long total = 0;
    for (int i = 0; i < entries; i++) {
      int entry = (int) (iovs + 8L * i);
      long base = memory.readInt(entry) & MASK;
      long length = memory.readInt(entry + 4) & MASK;
      if (!fits(memory, base, length)) {
        return -WasiErrno.FAULT;
      }
      total += length;
    }
    if (total > Integer.MAX_VALUE || total > GuestMemory.size(memory)) {
      return -WasiErrno.INVAL;
    }
    return total;
  }

  private static String path(Memory memory, long pointer, long length)
      throws ConfinedPaths.Refusal {
    long bytes = length & MASK;
    if (bytes > MAX_PATH_BYTES) {
      throw new ConfinedPaths.Refusal(WasiErrno.NAMETOOLONG);
    }
    if (!fits(memory, pointer, bytes)) {
      throw new ConfinedPaths.Refusal(WasiErrno.FAULT);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(memory.readBytes((int) pointer, (int) bytes)))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ConfinedPaths.Refusal(WasiErrno.ILSEQ);
    }
  }

  private Descriptor directory(int fd) throws ConfinedPaths.Refusal {
    Descriptor descriptor = fds.get(fd);
    if (descriptor == null) {
      throw new ConfinedPaths.Refusal(WasiErrno.BADF);
    }
    if (!descriptor.directory()) {
      throw new ConfinedPaths.Refusal(WasiErrno.NOTDIR);
    }
    return descriptor;
  }

  private static void requireWritable(Descriptor directory) throws ConfinedPaths.Refusal {
    if (!directory.grant().writable()) {
      throw new ConfinedPaths.Refusal(WasiErrno.ROFS);
    }
  }

  private long[] pollOneoff(Instance instance, long[] args) {
    Memory memory = instance.memory();
    long subscriptions = args[2] & MASK;
    if (subscriptions == 0) {
      return result(WasiErrno.INVAL);
    }
    if (!fits(memory, args[0], subscriptions * 48)
        || !fits(memory, args[1], subscriptions * 32)
        || !fits(memory, args[3], 4)) {
      return result(WasiErrno.FAULT);
    }
    return result(
        wasi.pollOneoff(memory, (int) args[0], (int) args[1], (int) subscriptions, (int) args[3]));
  }

  private long[] fdRead(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Memory memory = instance.memory();
    long total = iovecs(memory, args[1], args[2]);
    if (total < 0) {
      return result((int) -total);
    }
    if (!fits(memory, args[3], 4)) {
      return result(WasiErrno.FAULT);
    }
    Descriptor descriptor = fds.get((int) args[0]);
    if (descriptor != null && descriptor.kind() == Kind.STDIN) {
      // stdin is empty: end of file, without allocating a buffer for it.
      memory.writeI32((int) args[3], 0);
      return result(WasiErrno.SUCCESS);
    }
    return chicory.apply(instance, args);
  }

  private long[] fdPread(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Memory memory = instance.memory();
    long total = iovecs(memory, args[1], args[2]);
    if (total < 0) {
      return result((int) -total);
    }
    if (!fits(memory, args[4], 4)) {
      return result(WasiErrno.FAULT);
    }
    return chicory.apply(instance, args);
  }

  private long[] fdWrite(
      Instance instance, long[] args, WasmFunctionHandle chicory, boolean positioned) {
    Memory memory = instance.memory();
    long total = iovecs(memory, args[1], args[2]);
    if (total < 0) {
      return result((int) -total);
    }
    long written = positioned ? args[4] : args[3];
    if (!fits(memory, written, 4)) {
      return result(WasiErrno.FAULT);
    }
    Descriptor descriptor = fds.get((int) args[0]);
    if (descriptor == null) {
      return chicory.apply(instance, args);
    }
    switch (descriptor.kind()) {
      case STDOUT:
      case STDERR:
        if (positioned) {
          return chicory.apply(instance, args);
        }
        ComponentOutput output = descriptor.kind() == Kind.STDOUT ? stdout : stderr;
        long entries = args[2] & MASK;
        for (int i = 0; i < entries; i++) {
          int entry = (int) (args[1] + 8L * i);
          output.write(memory, memory.readInt(entry), memory.readInt(entry + 4) & MASK);
        }
        memory.writeI32((int) written, (int) total);
        return result(WasiErrno.SUCCESS);
      case FILE:
        if (!descriptor.writable()) {
          return result(WasiErrno.BADF);
        }
        WriteQuota quota = descriptor.grant().quota();
        if (!quota.tryReserve(total)) {
          return result(WasiErrno.DQUOT);
        }
        long used = 0;
        try {
          long[] outcome = chicory.apply(instance, args);
          if (outcome[0] == WasiErrno.SUCCESS) {
            used = Math.min(total, memory.readInt((int) written) & MASK);
          }
          return outcome;
        } finally {
          quota.release(total - used);
        }
      default:
        return chicory.apply(instance, args);
    }
  }

  private long[] fdAllocate(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Descriptor descriptor = fds.get((int) args[0]);
    if (descriptor == null || descriptor.kind() != Kind.FILE) {
      return chicory.apply(instance, args);
    }
    if (!descriptor.writable()) {
      return result(WasiErrno.BADF);
    }
    long offset = args[1];
    long length = args[2];
    if (offset < 0 || length <= 0 || offset > Long.MAX_VALUE - length) {
      return result(WasiErrno.INVAL);
    }
    return grow(descriptor, offset + length, () -> chicory.apply(instance, args));
  }

  private long[] fdFilestatSetSize(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Descriptor descriptor = fds.get((int) args[0]);
    if (descriptor == null || descriptor.kind() != Kind.FILE) {
      return chicory.apply(instance, args);
    }
    if (!descriptor.writable()) {
      return result(WasiErrno.BADF);
    }
    if (args[1] < 0) {
      return result(WasiErrno.INVAL);
    }
    return grow(descriptor, args[1], () -> chicory.apply(instance, args));
  }

  /** Runs a call that may grow a file to {@code size}, charging the growth to the quota. */
  private static long[] grow(Descriptor file, long size, Supplier<long[]> call) {
    long growth = Math.max(0, size - currentSize(file));
    WriteQuota quota = file.grant().quota();
    if (!quota.tryReserve(growth)) {
      return result(WasiErrno.DQUOT);
    }
    boolean done = false;
    try {
      long[] outcome = call.get();
      done = outcome[0] == WasiErrno.SUCCESS;
      return outcome;
    } finally {
      if (!done) {
        quota.release(growth);
      }
    }
  }

  /** The size of an open file, or 0 if its path no longer names it (renamed, replaced). */
  private static long currentSize(Descriptor file) {
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(file.path(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (file.fileKey() != null && file.fileKey().equals(attributes.fileKey())) {
        return attributes.size();
      }
    } catch (IOException e) {
      // gone: charge the whole size
    }
    return 0;
  }

  private long[] fdFilestatSetTimes(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Descriptor descriptor = fds.get((int) args[0]);
    if (descriptor != null && descriptor.grant() != null && !descriptor.grant().writable()) {
      return result(WasiErrno.ROFS);
    }
    return chicory.apply(instance, args);
  }

  private long[] fdClose(Instance instance, long[] args, WasmFunctionHandle chicory) {
    long[] outcome = chicory.apply(instance, args);
    if (outcome[0] == WasiErrno.SUCCESS) {
      forget(fds.remove((int) args[0]));
    }
    return outcome;
  }

  private long[] fdRenumber(Instance instance, long[] args, WasmFunctionHandle chicory) {
    long[] outcome = chicory.apply(instance, args);
    int from = (int) args[0];
    int to = (int) args[1];
    if (outcome[0] == WasiErrno.SUCCESS && from != to) {
      Descriptor moved = fds.remove(from);
      forget(moved == null ? fds.remove(to) : fds.put(to, moved));
    }
    return outcome;
  }

  private void forget(Descriptor closed) {
    if (closed != null && (closed.kind() == Kind.FILE || closed.kind() == Kind.DIRECTORY)) {
      opened--;
    }
  }

  private long[] fdReaddir(Instance instance, long[] args) {
    Memory memory = instance.memory();
    long capacity = args[2] & MASK;
    if (!fits(memory, args[1], capacity) || !fits(memory, args[4], 4)) {
      return result(WasiErrno.FAULT);
    }
    Descriptor directory = fds.get((int) args[0]);
    if (directory == null) {
      return result(WasiErrno.BADF);
    }
    if (!directory.directory()) {
      return result(WasiErrno.NOTDIR);
    }
    long cookie = args[3];
    if (cookie < 0) {
      return result(WasiErrno.INVAL);
    }
    int buffer = (int) args[1];
    long used = 0;
    Path path = directory.path();
    // ".." of a preopen is described as the preopen itself: its parent is not the guest's.
    Path parent = path.equals(directory.grant().root()) ? path : path.getParent();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
      Iterator<Path> iterator = entries.iterator();
      long index = 0;
      while (used < capacity) {
        String name;
        Path entry;
        if (index == 0) {
          name = ".";
          entry = path;
        } else if (index == 1) {
          name = "..";
          entry = parent;
        } else if (iterator.hasNext()) {
          entry = iterator.next();
          name = entry.getFileName().toString();
        } else {
          break;
        }
        index++;
        if (index <= cookie) {
          continue;
        }
        ByteBuffer dirent = dirent(entry, name, index);
        if (dirent == null) {
          continue;
        }
        int size = (int) Math.min(dirent.capacity(), capacity - used);
        memory.write(buffer + (int) used, dirent.array(), 0, size);
        used += size;
      }
    } catch (NotDirectoryException e) {
      return result(WasiErrno.NOTDIR);
    } catch (NoSuchFileException e) {
      return result(WasiErrno.NOENT);
    } catch (IOException | RuntimeException e) {
      return result(WasiErrno.IO);
    }
    memory.writeI32((int) args[4], (int) used);
    return result(WasiErrno.SUCCESS);
  }

  /** One directory entry, describing the entry itself (a link as a link), or null if it is gone. */
  private static ByteBuffer dirent(Path entry, String name, long next) throws IOException {
    long inode = 0;
    int type;
    try {
      Map<String, Object> attributes =
          Files.readAttributes(
              entry,
              "unix:ino,isDirectory,isRegularFile,isSymbolicLink",
              LinkOption.NOFOLLOW_LINKS);
      inode = ((Number) attributes.get("ino")).longValue();
      type =
          Boolean.TRUE.equals(attributes.get("isSymbolicLink"))
              ? FILETYPE_SYMBOLIC_LINK
              : Boolean.TRUE.equals(attributes.get("isDirectory"))
                  ? FILETYPE_DIRECTORY
                  : Boolean.TRUE.equals(attributes.get("isRegularFile"))
                      ? FILETYPE_REGULAR_FILE
                      : FILETYPE_UNKNOWN;
    } catch (NoSuchFileException e) {
      return null;
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      BasicFileAttributes basic =
          Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      type =
          basic.isSymbolicLink()
              ? FILETYPE_SYMBOLIC_LINK
              : basic.isDirectory()
                  ? FILETYPE_DIRECTORY
                  : basic.isRegularFile() ? FILETYPE_REGULAR_FILE : FILETYPE_UNKNOWN;
    }
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer dirent = ByteBuffer.allocate(DIRENT_SIZE + bytes.length);
    dirent.order(ByteOrder.LITTLE_ENDIAN);
    dirent.putLong(0, next);
    dirent.putLong(8, inode);
    dirent.putInt(16, bytes.length);
    dirent.put(20, (byte) type);
    dirent.position(DIRENT_SIZE);
    dirent.put(bytes);
    return dirent;
  }

  private long[] pathOpen(Instance instance, long[] args) {
    Memory memory = instance.memory();
    int fdPointer = (int) args[8];
    if (!fits(memory, args[8], 4)) {
      return result(WasiErrno.FAULT);
    }
    int lookup = (int) args[1];
    int oflags = (int) args[4];
    long rightsBase = args[5];
    int fdflags = (int) args[7];
    try {
      Descriptor directory = directory((int) args[0]);
      String raw = path(memory, args[2], args[3]);
      Path target =
          ConfinedPaths.resolve(directory.path(), raw, (lookup & LOOKUP_SYMLINK_FOLLOW) != 0);
      boolean create = (oflags & OFLAGS_CREAT) != 0;
      boolean truncate = (oflags & OFLAGS_TRUNC) != 0;
      // Chicory opens for writing on any of these.
      boolean writes =
          create || (fdflags & FDFLAGS_APPEND) != 0 || (rightsBase & RIGHTS_FD_WRITE) != 0;
      Grant grant = directory.grant();
      if ((writes || truncate) && !grant.writable()) {
        // Write rights on a directory are Chicory's to refuse (EISDIR).
        if (create || truncate || !Files.isDirectory(target)) {
          return result(WasiErrno.ROFS);
        }
      }
      if (opened >= MAX_OPEN) {
        return result(WasiErrno.MFILE);
      }
      long cost =
          create && grant.writable() && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)
              ? CREATE_COST
              : 0;
      if (cost > 0 && !grant.quota().tryReserve(cost)) {
        return result(WasiErrno.DQUOT);
      }
      // The path is resolved: a link Chicory finds at its end was swapped in since, so it must not
      // follow one.
      int errno =
          wasi.pathOpen(
              memory,
              (int) args[0],
              lookup & ~LOOKUP_SYMLINK_FOLLOW,
              ConfinedPaths.relative(directory.path(), target, raw),
              oflags,
              rightsBase,
              args[6],
              fdflags,
              fdPointer);
      if (errno != WasiErrno.SUCCESS) {
        if (cost > 0) {
          grant.quota().release(cost);
        }
        return result(errno);
      }
      int fd = memory.readInt(fdPointer);
      boolean isDirectory = Files.isDirectory(target);
      Descriptor descriptor =
          new Descriptor(
              isDirectory ? Kind.DIRECTORY : Kind.FILE,
              grant,
              target,
              !isDirectory && writes && grant.writable(),
              isDirectory ? null : fileKey(target));
      forget(fds.put(fd, descriptor));
      opened++;
      return result(WasiErrno.SUCCESS);
    } catch (ConfinedPaths.Refusal refusal) {
      return result(refusal.errno);
    }
  }

  private static Object fileKey(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * What a path function does once its path is confined: the directory descriptor, the resolved
   * target, and the path relative to the descriptor as Chicory takes it; returns an errno.
   */
  @FunctionalInterface
  private interface ConfinedCall {
    int apply(Descriptor directory, Path target, String relative);
  }

  /**
   * Resolves a guest path inside its directory descriptor, refusing escapes (and, for a change,
   * read-only grants), then runs the call with it.
   */
  private long[] confined(
      Memory memory,
      long fd,
      long pathPointer,
      long pathLength,
      boolean change,
      boolean followLinks,
      ConfinedCall call) {
    try {
      Descriptor directory = directory((int) fd);
      String raw = path(memory, pathPointer, pathLength);
      if (change) {
        requireWritable(directory);
      }
      Path target = ConfinedPaths.resolve(directory.path(), raw, followLinks);
      return result(
          call.apply(directory, target, ConfinedPaths.relative(directory.path(), target, raw)));
    } catch (ConfinedPaths.Refusal refusal) {
      return result(refusal.errno);
    }
  }

  private long[] pathCreateDirectory(Instance instance, long[] args) {
    return confined(
        instance.memory(),
        args[0],
        args[1],
        args[2],
        true,
        false,
        (directory, target, relative) -> {
          if (target.equals(directory.path())) {
            return WasiErrno.EXIST;
          }
          WriteQuota quota = directory.grant().quota();
          if (!quota.tryReserve(CREATE_COST)) {
            return WasiErrno.DQUOT;
          }
          int errno = wasi.pathCreateDirectory((int) args[0], relative);
          if (errno != WasiErrno.SUCCESS) {
            quota.release(CREATE_COST);
          }
          return errno;
        });
  }

  private long[] pathFilestatGet(Instance instance, long[] args) {
    Memory memory = instance.memory();
    if (!fits(memory, args[4], 64)) {
      return result(WasiErrno.FAULT);
    }
    int lookup = (int) args[1];
    return confined(
        memory,
        args[0],
        args[2],
        args[3],
        false,
        (lookup & LOOKUP_SYMLINK_FOLLOW) != 0,
        (directory, target, relative) ->
            wasi.pathFilestatGet(memory, (int) args[0], lookup, relative, (int) args[4]));
  }

  private long[] pathFilestatSetTimes(Instance instance, long[] args) {
    // Chicory sets the times through links, so the link is resolved (inside the grant) here.
    return confined(
        instance.memory(),
        args[0],
        args[2],
        args[3],
        true,
        true,
        (directory, target, relative) ->
            wasi.pathFilestatSetTimes(
                (int) args[0], (int) args[1], relative, args[4], args[5], (int) args[6]));
  }

  private long[] pathReadlink(Instance instance, long[] args) {
    Memory memory = instance.memory();
    long capacity = args[4] & MASK;
    if (!fits(memory, args[3], capacity) || !fits(memory, args[5], 4)) {
      return result(WasiErrno.FAULT);
    }
    return confined(
        memory,
        args[0],
        args[1],
        args[2],
        false,
        false,
        (directory, target, relative) ->
            wasi.pathReadlink(
                memory,
                (int) args[0],
                relative,
                (int) args[3],
                (int) Math.min(capacity, Integer.MAX_VALUE),
                (int) args[5]));
  }

  private long[] pathRemoveDirectory(Instance instance, long[] args) {
    return confined(
        instance.memory(),
        args[0],
        args[1],
        args[2],
        true,
        false,
        (directory, target, relative) ->
            target.equals(directory.path())
                ? WasiErrno.INVAL
                : wasi.pathRemoveDirectory((int) args[0], relative));
  }

  private long[] pathUnlinkFile(Instance instance, long[] args) {
    return confined(
        instance.memory(),
        args[0],
        args[1],
        args[2],
        true,
        false,
        (directory, target, relative) -> wasi.pathUnlinkFile((int) args[0], relative));
  }

  private long[] pathRename(Instance instance, long[] args) {
    Memory memory = instance.memory();
    try {
      Descriptor from = directory((int) args[0]);
      String fromRaw = path(memory, args[1], args[2]);
      Descriptor to = directory((int) args[3]);
      String toRaw = path(memory, args[4], args[5]);
      requireWritable(from);
      requireWritable(to);
      if (from.grant() != to.grant()) {
        // Moving a file between grants would move bytes past the target's quota.
        return result(WasiErrno.XDEV);
      }
      Path source = ConfinedPaths.resolve(from.path(), fromRaw, false);
      Path target = ConfinedPaths.resolve(to.path(), toRaw, false);
      if (source.equals(from.path()) || target.equals(to.path())) {
        return result(WasiErrno.INVAL);
      }
      if (Files.isSymbolicLink(source)) {
        // Links stay where the host put them: moving one could swap it into a checked path.
        return result(WasiErrno.PERM);
      }
      return result(rename(source, target, toRaw.endsWith("/")));
    } catch (ConfinedPaths.Refusal refusal) {
      return result(refusal.errno);
    }
  }

  /**
   * Renames as rename(2) does, replacing the target. Done here rather than by Chicory, whose
   * path_rename asks Java for COPY_ATTRIBUTES with ATOMIC_MOVE and so always fails on Linux.
   */
  private static int rename(Path source, Path target, boolean directoryExpected) {
    try {
      BasicFileAttributes moved =
          Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      BasicFileAttributes replaced = null;
      try {
        replaced =
            Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        // a new name
      }
      if (moved.isDirectory() && replaced != null && !replaced.isDirectory()) {
        return WasiErrno.NOTDIR;
      }
      if (!moved.isDirectory()
          && (directoryExpected || replaced != null && replaced.isDirectory())) {
        return replaced != null && replaced.isDirectory() ? WasiErrno.ISDIR : WasiErrno.NOTDIR;
      }
      Files.move(
          source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return WasiErrno.SUCCESS;
    } catch (NoSuchFileException e) {
      return WasiErrno.NOENT;
    } catch (DirectoryNotEmptyException e) {
      return WasiErrno.NOTEMPTY;
    } catch (FileAlreadyExistsException e) {
      return WasiErrno.EXIST;
    } catch (AccessDeniedException e) {
      return WasiErrno.ACCES;
    } catch (AtomicMoveNotSupportedException e) {
      return WasiErrno.XDEV;
    } catch (IOException | RuntimeException e) {
      return WasiErrno.IO;
    }
  }
}
