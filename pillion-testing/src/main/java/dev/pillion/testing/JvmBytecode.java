package dev.pillion.testing;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JVM class files for tests that check what Chicory generated from a guest: HotSpot never
 * JIT-compiles a method over {@value #HUGE_METHOD_LIMIT} bytes of bytecode ({@code
 * -XX:+DontCompileHugeMethods}, the default), so the guest function behind such a method runs in
 * the bytecode interpreter for the life of the JVM (docs/decisions.md, "Guest functions stay
 * small").
 */
public final class JvmBytecode {
  /** HotSpot's {@code HugeMethodLimit}. */
  public static final int HUGE_METHOD_LIMIT = 8000;

  private JvmBytecode() {}

  /**
   * The bytecode length of every method of the classes Chicory's build-time compiler generated for
   * one module, found by name beside the module's class: class file and method to {@code
   * code_length}.
   *
   * @param module the generated module class (the plugin's {@code name})
   * @return the lengths, empty when nothing was generated
   * @throws IOException when a class file cannot be read
   */
  public static Map<String, Integer> generatedMethodLengths(Class<?> module) throws IOException {
    Map<String, Integer> sizes = new LinkedHashMap<>();
    for (String generated : generatedClasses(module)) {
      try (InputStream in = module.getClassLoader().getResourceAsStream(generated)) {
        codeLengths(in.readAllBytes())
            .forEach((method, length) -> sizes.put(generated + " " + method, length));
      }
    }
    return sizes;
  }

  /**
   * The methods HotSpot will never JIT-compile: those over {@value #HUGE_METHOD_LIMIT} bytes.
   *
   * @param lengths method to {@code code_length}, as {@link #codeLengths} and {@link
   *     #generatedMethodLengths} give them
   * @return the methods over the limit with their lengths, in the given order
   */
  public static Map<String, Integer> overHugeMethodLimit(Map<String, Integer> lengths) {
    Map<String, Integer> huge = new LinkedHashMap<>(lengths);
    huge.values().removeIf(length -> length <= HUGE_METHOD_LIMIT);
    return huge;
  }

  private static List<String> generatedClasses(Class<?> module) {
    String base = module.getName().replace('.', '/');
    List<String> classes = new ArrayList<>();
    for (String suffix : List.of("Machine", "MachineMachineCall", "MachineShaded")) {
      String name = base + suffix + ".class";
      if (module.getClassLoader().getResource(name) != null) {
        classes.add(name);
      }
    }
    for (int group = 0; ; group++) {
      String name = base + "MachineFuncGroup_" + group + ".class";
      if (module.getClassLoader().getResource(name) == null) {
        return classes;
      }
      classes.add(name);
    }
  }

  /**
   * The bytecode length of every method with code in a class file (JVM spec 4.1, 4.7.3): method
   * name and descriptor to {@code code_length}.
   */
  public static Map<String, Integer> codeLengths(byte[] classFile) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
    in.readInt(); // magic
    in.readInt(); // minor, major version
    int constants = in.readUnsignedShort();
    String[] utf8 = new String[constants];
    for (int i = 1; i < constants; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> utf8[i] = in.readUTF();
        case 7, 8, 16, 19, 20 -> in.skipNBytes(2);
        case 15 -> in.skipNBytes(3);
        case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
        case 5, 6 -> {
          in.skipNBytes(8);
          i++; // longs and doubles take two entries
        }
        default -> throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
      }
    }
    in.skipNBytes(6); // access flags, this class, super class
    in.skipNBytes(2L * in.readUnsignedShort()); // interfaces
    int fields = in.readUnsignedShort();
    for (int i = 0; i < fields; i++) {
      in.skipNBytes(6);
      skipAttributes(in);
    }
    Map<String, Integer> lengths = new LinkedHashMap<>();
    int methods = in.readUnsignedShort();
    for (int i = 0; i < methods; i++) {
      in.skipNBytes(2);
      String name = utf8[in.readUnsignedShort()] + utf8[in.readUnsignedShort()];
      int attributes = in.readUnsignedShort();
      for (int a = 0; a < attributes; a++) {
        String attribute = utf8[in.readUnsignedShort()];
        int length = in.readInt();
        if (attribute.equals("Code")) {
          in.skipNBytes(4); // max stack, max locals
          lengths.put(name, in.readInt());
          in.skipNBytes(length - 8L);
        } else {
          in.skipNBytes(length);
        }
      }
    }
    return lengths;
  }

  private static void skipAttributes(DataInputStream in) throws IOException {
    int attributes = in.readUnsignedShort();
    for (int a = 0; a < attributes; a++) {
      in.skipNBytes(2);
      in.skipNBytes(in.readInt() & 0xFFFF_FFFFL);
    }
  }
}
