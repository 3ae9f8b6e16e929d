package dev.pillion.invoke.resolution;

import java.nio.file.Path;

/**
 * A separate process that registers one instance in a registry directory, says so on stdout and
 * then waits to be killed: how another {@code pillion run} looks to the registry.
 */
public final class RegistryChild {
  private RegistryChild() {}

  /**
   * Registers and waits.
   *
   * @param args the directory, the app id and the internal gRPC port
   * @throws Exception never expected
   */
  public static void main(String[] args) throws Exception {
    LocalRegistryResolver resolver =
        LocalRegistryResolver.builder().directory(Path.of(args[0])).build();
    resolver.register(
        AppInstance.builder().appId(args[1]).internalGrpcPort(Integer.parseInt(args[2])).build());
    System.out.println("registered");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
