package dev.pillion.redis;

import com.google.protobuf.ByteString;
import dev.pillion.abi.redis.Command;
import dev.pillion.abi.redis.Request;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The rules the host enforces before sending a request (docs/abi.md, {@code redis}): no command
 * that would leave the component's own data on its own server or change the connection's mode, no
 * command that may block on the server outside a {@code blocking} request, at most {@value
 * #MAX_COMMANDS} commands and none empty.
 */
final class CommandRules {
  /** The most commands one request may carry. */
  static final int MAX_COMMANDS = 4096;

  /** Connection and server administration, and the commands that change a connection's mode. */
  private static final Set<String> DENIED =
      Set.of(
          "AUTH",
          "HELLO",
          "SELECT",
          "SWAPDB",
          "MOVE",
          "MIGRATE",
          "CLIENT",
          "CONFIG",
          "ACL",
          "REPLICAOF",
          "SLAVEOF",
          "FAILOVER",
          "SHUTDOWN",
          "DEBUG",
          "MODULE",
          "MONITOR",
          "SYNC",
          "PSYNC",
          "SAVE",
          "BGSAVE",
          "BGREWRITEAOF",
          "FLUSHALL",
          "FLUSHDB",
          "RESET",
          "QUIT",
          "FUNCTION",
          "SUBSCRIBE",
          "PSUBSCRIBE",
          "SSUBSCRIBE",
          "UNSUBSCRIBE",
          "PUNSUBSCRIBE",
          "SUNSUBSCRIBE",
          "MULTI",
          "EXEC",
          "DISCARD",
          "WATCH",
          "UNWATCH");

  /** Commands that wait on the server until data arrives or their timeout passes. */
  private static final Set<String> ALWAYS_BLOCKING =
      Set.of(
          "BLPOP",
          "BRPOP",
          "BRPOPLPUSH",
          "BLMOVE",
          "BLMPOP",
          "BZPOPMIN",
          "BZPOPMAX",
          "BZMPOP",
          "WAIT",
          "WAITAOF");

  private CommandRules() {}

  /**
   * Why a request is refused, if it is.
   *
   * @param request the request
   * @return the reason, or empty when every rule holds
   */
  static Optional<String> refusal(Request request) {
    int count = request.getCommandsCount();
    if (count == 0) {
      return Optional.of("the request has no commands");
    }
    if (count > MAX_COMMANDS) {
      return Optional.of(
          "the request has " + count + " commands; at most " + MAX_COMMANDS + " are allowed");
    }
    for (int i = 0; i < count; i++) {
      Command command = request.getCommands(i);
      if (command.getArgsCount() == 0) {
        return Optional.of("command " + i + " is empty (it has no name)");
      }
      String name = name(command.getArgs(0));
      if (DENIED.contains(name)) {
        return Optional.of(
            "command "
                + i
                + " ("
                + name
                + ") is not allowed: a component may not administer its connection or server"
                + (name.equals("MULTI") || name.equals("EXEC") ? " (use mode TRANSACTION)" : ""));
      }
      if (name.equals("SCRIPT") && command.getArgsCount() > 1) {
        if (name(command.getArgs(1)).equals("KILL")) {
          return Optional.of("command " + i + " (SCRIPT KILL) is not allowed");
        }
      }
      if (!request.getBlocking() && blocks(name, command)) {
        return Optional.of(
            "command "
                + i
                + " ("
                + name
                + ") may block on the server: send it in a request marked blocking, which runs on a"
                + " connection of its own");
      }
    }
    return Optional.empty();
  }

  private static boolean blocks(String name, Command command) {
    if (ALWAYS_BLOCKING.contains(name)) {
      return true;
    }
    if (name.equals("XREAD") || name.equals("XREADGROUP")) {
      for (int i = 1; i < command.getArgsCount(); i++) {
        String arg = name(command.getArgs(i));
        if (arg.equals("BLOCK")) {
          return true;
        }
        if (arg.equals("STREAMS")) {
          return false;
        }
      }
    }
    return false;
  }

  /** A command name or keyword, upper case; names are short, so only the first 32 bytes count. */
  static String name(ByteString arg) {
    ByteString head = arg.size() > 32 ? arg.substring(0, 32) : arg;
    return head.toString(StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
  }
}
