package dev.pillion.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code pillion} command.
 *
 * <p>Exit codes: 0 success; the application's own exit code when {@code run} started one; {@value
 * #EXIT_RUNTIME} when the runtime could not start (bad resources, port in use); 2 for usage errors.
 */
@Command(
    name = "pillion",
    mixinStandardHelpOptions = true,
    version = "pillion 0.1.0 (Dapr API " + "1.17)",
    description = "Dapr building blocks on the JVM, with components as sandboxed Wasm modules.",
    subcommands = {RunCommand.class, CommandLine.HelpCommand.class})
public final class PillionCli {
  /** The runtime or its server could not start. */
  public static final int EXIT_RUNTIME = 1;

  private PillionCli() {}

  /**
   * Runs a command line without exiting, for embedding and tests.
   *
   * @param args the arguments
   * @return the exit code
   */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /**
   * The command line, for callers that redirect its output.
   *
   * @return a new command line
   */
  public static CommandLine commandLine() {
    // --log-level takes daprd's lower-case names.
    return new CommandLine(new PillionCli()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  /**
   * Runs the CLI and exits with its code.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
