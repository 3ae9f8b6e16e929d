package dev.pillion.abi;

/**
 * The {@code i64} a guest method returns: {@code (ptr << 32) | len}; 0 is an empty response. In ABI
 * version 2, bit 31 of {@code len} marks an error message.
 */
public final class PackedResult {
  private static final long ERROR_FLAG = 1L << 31;
  private static final long LENGTH_MASK = ERROR_FLAG - 1;

  private PackedResult() {}

  /**
   * Packs a pointer and a length as a guest does.
   *
   * @param pointer the address of the block in linear memory
   * @param length the length of the block
   * @param error whether the block is an error message (version 2 only)
   * @return the packed value
   */
  public static long pack(int pointer, int length, boolean error) {
    long len = Integer.toUnsignedLong(length) & LENGTH_MASK;
    return (Integer.toUnsignedLong(pointer) << 32) | len | (error ? ERROR_FLAG : 0);
  }

  /**
   * The pointer part.
   *
   * @param packed the value the guest returned
   * @return the address of the response block
   */
  public static int pointer(long packed) {
    return (int) (packed >>> 32);
  }

  /**
   * The length part, without the error flag.
   *
   * @param packed the value the guest returned
   * @param version the module's ABI version
   * @return the length of the response block in bytes
   */
  public static long length(long packed, AbiVersion version) {
    long low = packed & 0xFFFF_FFFFL;
    return version == AbiVersion.V2 ? low & LENGTH_MASK : low;
  }

  /**
   * Whether the block is an error message.
   *
   * @param packed the value the guest returned
   * @param version the module's ABI version
   * @return true if the guest flagged an error (never in version 1)
   */
  public static boolean isError(long packed, AbiVersion version) {
    return version == AbiVersion.V2 && (packed & ERROR_FLAG) != 0;
  }
}
