package dev.pillion.wasm;

import com.dylibso.chicory.runtime.Memory;

/**
 * Bounds-checked access to a guest's linear memory for host functions: every range is checked
 * against the memory's current size before anything is read, written or allocated, so a guest
 * cannot make the host allocate more than the guest itself could hold.
 */
public final class GuestMemory {
  private GuestMemory() {}

  /**
   * The guest's memory size in bytes.
   *
   * @param memory the memory
   * @return its current size
   */
  public static long size(Memory memory) {
    return (long) memory.pages() * Memory.PAGE_SIZE;
  }

  /**
   * Whether {@code [pointer, pointer + length)} lies inside the memory, both read as unsigned.
   *
   * @param memory the guest's memory, or null if it has none
   * @param pointer the guest pointer (unsigned i32)
   * @param length the length (unsigned i32, or any non-negative long)
   * @return true if every byte of the range is inside the memory
   */
  public static boolean contains(Memory memory, long pointer, long length) {
    if (memory == null || length < 0) {
      return false;
    }
    return (pointer & 0xFFFF_FFFFL) + length <= size(memory);
  }

  /**
   * Checks that {@code [pointer, pointer + length)} lies inside the memory, both read as unsigned.
   *
   * @param memory the guest's memory
   * @param function the host function, for the message
   * @param what what the range holds, for the message
   * @param pointer the guest pointer (unsigned i32)
   * @param length the length (unsigned i32)
   * @throws HostCallException if it does not
   */
  public static void check(Memory memory, String function, String what, long pointer, long length) {
    long start = pointer & 0xFFFF_FFFFL;
    long bytes = length & 0xFFFF_FFFFL;
    long size = size(memory);
    if (start + bytes > size) {
      throw new HostCallException(
          function,
          what
              + " ["
              + start
              + ", "
              + (start + bytes)
              + ") lies outside the guest's "
              + size
              + " bytes of memory");
    }
  }

  /**
   * Reads a range after checking it.
   *
   * @param memory the guest's memory
   * @param function the host function, for the message
   * @param what what the range holds, for the message
   * @param pointer the guest pointer
   * @param length the length
   * @return a copy of the bytes
   */
  public static byte[] read(
      Memory memory, String function, String what, long pointer, long length) {
    check(memory, function, what, pointer, length);
    return memory.readBytes((int) pointer, (int) length);
  }

  /**
   * Reads a range after checking it against the memory and a cap.
   *
   * @param memory the guest's memory
   * @param function the host function, for the message
   * @param what what the range holds, for the message
   * @param pointer the guest pointer
   * @param length the length
   * @param max the largest length accepted
   * @return a copy of the bytes
   */
  public static byte[] read(
      Memory memory, String function, String what, long pointer, long length, long max) {
    if ((length & 0xFFFF_FFFFL) > max) {
      throw new HostCallException(
          function, what + " of " + (length & 0xFFFF_FFFFL) + " bytes exceeds the limit of " + max);
    }
    return read(memory, function, what, pointer, length);
  }

  /**
   * Writes bytes after checking the destination range.
   *
   * @param memory the guest's memory
   * @param function the host function, for the message
   * @param what what the range receives, for the message
   * @param pointer the guest pointer
   * @param bytes what to write
   * @param offset the first byte of {@code bytes} to write
   * @param length how many bytes to write
   */
  public static void write(
      Memory memory,
      String function,
      String what,
      long pointer,
      byte[] bytes,
      int offset,
      int length) {
    check(memory, function, what, pointer, length);
    memory.write((int) pointer, bytes, offset, length);
  }
}
