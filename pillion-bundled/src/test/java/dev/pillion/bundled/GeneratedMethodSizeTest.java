package dev.pillion.bundled;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.bundled.generated.PubSubInMemoryModule;
import dev.pillion.bundled.generated.PubSubRedisModule;
import dev.pillion.bundled.generated.StateInMemoryModule;
import dev.pillion.bundled.generated.StateRedisModule;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every method of the classes generated from the bundled modules is small enough for HotSpot to
 * JIT-compile. A method over {@value #HUGE_METHOD_LIMIT} bytes of bytecode is never compiled
 * ({@code -XX:+DontCompileHugeMethods}, the default): the guest function behind it runs in the
 * bytecode interpreter for the life of the JVM. The in-memory broker's publish, pull and ack once
 * grew past it, which made every pub/sub call 5 to 10 times slower.
 */
class GeneratedMethodSizeTest {
  /** HotSpot's {@code HugeMethodLimit}. */
  private static final int HUGE_METHOD_LIMIT = 8000;

  @ParameterizedTest
  @ValueSource(
      classes = {
        StateInMemoryModule.class,
        StateRedisModule.class,
        PubSubInMemoryModule.class,
        PubSubRedisModule.class
      })
  void everyGeneratedMethodIsJitCompilable(Class<?> module) throws IOException {
    Map<String, Integer> sizes = new LinkedHashMap<>();
    for (String generated : generatedClasses(module)) {
      try (InputStream in = module.getClassLoader().getResourceAsStream(generated)) {
        codeLengths(in.readAllBytes())
            .forEach((method, length) -> sizes.put(generated + " " + method, length));
      }
    }
    assertThat(sizes).as("methods of the classes generated for %s", module.getName()).isNotEmpty();
    assertThat(sizes.keySet())
        .as("the module's functions, compiled into function groups")
        .anyMatch(method -> method.contains("FuncGroup_0.class func_"));
    Map<String, Integer> huge = new LinkedHashMap<>(sizes);
    huge.values().removeIf(length -> length <= HUGE_METHOD_LIMIT);
    assertThat(huge)
        .as("methods (bytecode bytes) over HotSpot's HugeMethodLimit, never JIT-compiled")
        .isEmpty();
  }

  /** The class files Chicory's build-time compiler generated for a module, found by name. */
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
  static Map<String, Integer> codeLengths(byte[] classFile) throws IOException {
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
