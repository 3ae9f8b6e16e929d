package dev.pillion.redis;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.abi.redis.Request;
import dev.pillion.wasm.GuestMemory;
import dev.pillion.wasm.HostCallException;
import dev.pillion.wasm.HostModule;
import dev.pillion.wasm.HostModuleContext;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code redis} capability: a client of the one Redis a component's YAML names, imported from
 * module {@value #IMPORT_MODULE} (docs/abi.md, {@code redis}; messages in proto/redis):
 *
 * <ul>
 *   <li>{@code execute(request_ptr, request_len) -> i64}: runs a {@code Request}; {@code (status <<
 *       32) | length} of its answer, kept for {@code take}. Status {@value #OK}: a {@code
 *       Response}; {@value #UNAVAILABLE} unavailable, {@value #DEADLINE} deadline, {@value
 *       #REFUSED} refused: a UTF-8 reason.
 *   <li>{@code take(out_ptr, out_cap) -> i32}: copies the answer of the instance's last {@code
 *       execute} to {@code out} and forgets it; traps when there is none or it does not fit.
 * </ul>
 *
 * <p>The module owns the component's connections ({@link #connect(RedisSettings)} opens them at
 * load; {@link #close()} closes them with the component) and is shared by all its instances; each
 * instance's binding keeps its own pending answer. Credentials and the address stay in the host.
 */
public final class RedisModule implements HostModule, AutoCloseable {
  /** The capability's name. */
  public static final String CAPABILITY = "redis";

  /** The import module. */
  public static final String IMPORT_MODULE = "pillion_redis_v1";

  /** The answer is a {@code Response}. */
  public static final int OK = 0;

  /** No working connection, or it broke during the call. */
  public static final int UNAVAILABLE = 1;

  /** No reply within the call's deadline. */
  public static final int DEADLINE = 2;

  /**
   * The request broke a rule of the capability and nothing was sent, or its answer would pass the
   * message limit (the commands ran; the reason says so).
   */
  public static final int REFUSED = 3;

  private static final FunctionType EXECUTE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I64));
  private static final FunctionType TAKE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
  private static final Map<String, FunctionType> FUNCTIONS =
      Map.of("execute", EXECUTE, "take", TAKE);

  private final RedisConnections connections;

  private RedisModule(RedisConnections connections) {
    this.connections = connections;
  }

  /**
   * Connects to the server the settings name and returns the capability over that connection.
   *
   * @param settings the component's connection settings
   * @return the module; close it when the component closes
   * @throws dev.pillion.abi.PillionException naming the component and the address when the server
   *     cannot be reached or refuses the credentials
   */
  public static RedisModule connect(RedisSettings settings) {
    return new RedisModule(RedisConnections.connect(Objects.requireNonNull(settings, "settings")));
  }

  /**
   * The settings the module connected with.
   *
   * @return the settings
   */
  public RedisSettings settings() {
    return connections.settings();
  }

  /**
   * Whether the shared connection is up right now (calls fail with status {@value #UNAVAILABLE}
   * while it is not).
   *
   * @return true while connected
   */
  public boolean connected() {
    return connections.connected();
  }

  /**
   * Runs a request as a guest's {@code execute} does, without a guest: for the host's own checks
   * and tests.
   *
   * @param request the request
   * @param maxAnswerBytes the largest answer accepted
   * @return the status and the answer's bytes
   */
  public Result execute(Request request, int maxAnswerBytes) {
    Optional<String> refusal = CommandRules.refusal(request);
    RedisConnections.Answer answer =
        refusal.isPresent()
            ? RedisConnections.Answer.failure(REFUSED, refusal.get())
            : connections.execute(request, maxAnswerBytes);
    return new Result(answer.status(), answer.bytes());
  }

  /**
   * What {@code execute} answered.
   *
   * @param status {@value #OK} and a {@code Response}, or a failure status and a UTF-8 reason
   * @param answer the bytes {@code take} copies
   */
  public record Result(int status, byte[] answer) {
    /** Checks the fields. */
    public Result {
      Objects.requireNonNull(answer, "answer");
    }

    /**
     * The reason of a failure.
     *
     * @return the answer as UTF-8 text
     */
    public String reason() {
      return new String(answer, java.nio.charset.StandardCharsets.UTF_8);
    }
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
    return FUNCTIONS;
  }

  /** Every call waits on the network. */
  @Override
  public boolean isBlocking() {
    return true;
  }

  /** Closes the component's connections; later calls fail with status {@value #UNAVAILABLE}. */
  @Override
  public void close() {
    connections.close();
  }

  @Override
  public Binding bind(HostModuleContext context) {
    InstanceBinding binding = new InstanceBinding(context.spec().limits().maxMessageBytes());
    List<HostFunction> functions =
        List.of(
            new HostFunction(
                IMPORT_MODULE,
                "execute",
                EXECUTE,
                (Instance instance, long... args) ->
                    new long[] {binding.execute(instance.memory(), args[0], args[1])}),
            new HostFunction(
                IMPORT_MODULE,
                "take",
                TAKE,
                (Instance instance, long... args) ->
                    new long[] {binding.take(instance.memory(), args[0], args[1])}));
    return () -> functions;
  }

  /** One guest instance's use of the module: its pending answer lives here, never shared. */
  private final class InstanceBinding {
    private final int maxMessageBytes;
    private byte[] pending;

    InstanceBinding(int maxMessageBytes) {
      this.maxMessageBytes = maxMessageBytes;
    }

    long execute(Memory memory, long pointer, long length) {
      String function = IMPORT_MODULE + ".execute";
      byte[] bytes =
          GuestMemory.read(memory, function, "request", pointer, length, maxMessageBytes);
      Request request;
      try {
        request = Request.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        throw new HostCallException(function, "malformed Request: " + e.getMessage());
      }
      // An answer not taken is dropped: execute always starts afresh.
      pending = null;
      Result result = RedisModule.this.execute(request, maxMessageBytes);
      pending = result.answer();
      return ((long) result.status() << 32) | pending.length;
    }

    long take(Memory memory, long pointer, long capacity) {
      String function = IMPORT_MODULE + ".take";
      if (pending == null) {
        throw new HostCallException(function, "there is no answer to take (call execute first)");
      }
      long cap = capacity & 0xFFFF_FFFFL;
      if (cap < pending.length) {
        throw new HostCallException(
            function,
            "the answer of "
                + pending.length
                + " bytes does not fit the output buffer of "
                + cap
                + " bytes");
      }
      GuestMemory.write(memory, function, "output buffer", pointer, pending, 0, pending.length);
      int taken = pending.length;
      pending = null;
      return taken;
    }
  }
}
