package dev.pillion.wasm.capability;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.pillion.wasm.GuestMemory;
import dev.pillion.wasm.HostModule;
import dev.pillion.wasm.HostModuleContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The {@code log} capability: {@code env.pillion_v1_log(level, ptr, len)} writes one line under the
 * component's logger ({@code dev.pillion.component.<name>}), within the component's output budget.
 * Levels: 0 trace, 1 debug, 2 info, 3 warn, 4 and above error. Lines longer than 64 KiB are cut.
 */
public final class LogModule implements HostModule {
  /** The capability's name. */
  public static final String CAPABILITY = "log";

  /** The import module (kept as {@code env} for the modules that already import it). */
  public static final String IMPORT_MODULE = "env";

  /** The one function. */
  public static final String LOG_V1 = "pillion_v1_log";

  private static final int MAX_LOG_BYTES = 64 * 1024;
  private static final LogModule INSTANCE = new LogModule();
  private static final FunctionType TYPE =
      FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of());

  private LogModule() {}

  /**
   * The log capability (stateless, shared).
   *
   * @return the module
   */
  public static LogModule create() {
    return INSTANCE;
  }

  @Override
  public String capability() {
    return CAPABILITY;
  }

  @Override
  public String importModule() {
    return IMPORT_MODULE;
  }

  @Override
  public Map<String, FunctionType> functions() {
    return Map.of(LOG_V1, TYPE);
  }

  /** A line goes to a {@link System.Logger}, as the host's own lines do. */
  @Override
  public boolean isBlocking() {
    return false;
  }

  @Override
  public Binding bind(HostModuleContext context) {
    System.Logger logger = context.logger();
    HostFunction log =
        new HostFunction(
            IMPORT_MODULE,
            LOG_V1,
            TYPE,
            (Instance instance, long... args) -> {
              int length = (int) Math.min(args[2] & 0xFFFF_FFFFL, MAX_LOG_BYTES);
              GuestMemory.check(
                  instance.memory(), IMPORT_MODULE + "." + LOG_V1, "message", args[1], length);
              // Over the budget, the message is dropped before it is copied or decoded.
              if (context.output().tryAcquire(length)) {
                byte[] bytes = instance.memory().readBytes((int) args[1], length);
                logger.log(level((int) args[0]), new String(bytes, StandardCharsets.UTF_8));
              }
              return null;
            });
    return () -> List.of(log);
  }

  /**
   * Maps a guest log level to the logger's.
   *
   * @param level 0 trace, 1 debug, 2 info, 3 warn, other error
   * @return the level
   */
  public static System.Logger.Level level(int level) {
    return switch (level) {
      case 0 -> System.Logger.Level.TRACE;
      case 1 -> System.Logger.Level.DEBUG;
      case 2 -> System.Logger.Level.INFO;
      case 3 -> System.Logger.Level.WARNING;
      default -> System.Logger.Level.ERROR;
    };
  }
}
