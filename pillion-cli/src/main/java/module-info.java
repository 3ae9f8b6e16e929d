/**
 * The {@code pillion} command ({@code pillion run}): the Dapr API server over resources read from a
 * folder. Exports nothing; it is an application.
 */
module dev.pillion.cli {
  requires dev.pillion.server;
  requires info.picocli;
  requires java.logging;
  // sun.misc.Signal, looked up reflectively (Signals): the module must be resolved to be found.
  requires jdk.unsupported;

  // picocli reads and sets the annotated fields of the commands reflectively.
  opens dev.pillion.cli to
      info.picocli;
}
