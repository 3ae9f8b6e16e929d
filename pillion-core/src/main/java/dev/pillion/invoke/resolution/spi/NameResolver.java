package dev.pillion.invoke.resolution.spi;

import dev.pillion.invoke.resolution.AppAddress;
import dev.pillion.invoke.resolution.AppInstance;
import dev.pillion.invoke.resolution.AppNotFoundException;

/**
 * Finds the runtime in front of an app by its app id, and makes this runtime's own app findable.
 * Each {@link #resolve} answers one address, turning round-robin over the live instances of the
 * app, so callers spread their calls by calling it once per call. Safe for concurrent use. Closing
 * the resolver withdraws every registration made through it.
 */
public interface NameResolver extends AutoCloseable {
  /**
   * The resolver's name as {@code spec.nameResolution.component} selects it, for messages.
   *
   * @return the name
   */
  String name();

  /**
   * Makes an instance findable by other runtimes. Register once the instance's internal gRPC
   * endpoint is listening: other runtimes may call it at once.
   *
   * @param instance the instance
   * @return the registration; closing it withdraws the instance
   * @throws dev.pillion.invoke.resolution.NameResolutionException when the instance cannot be
   *     registered
   */
  Registration register(AppInstance instance);

  /**
   * One address of a live instance of an app.
   *
   * @param appId the app id
   * @param namespace its namespace
   * @return the address of one instance, the next one round-robin
   * @throws AppNotFoundException when no live instance is known
   */
  AppAddress resolve(String appId, String namespace);

  /**
   * Reports that an address this resolver gave refused a connection. A resolver that can check
   * liveness stops answering it until it accepts connections again; the default ignores the report
   * (a DNS name's liveness is the cluster's business).
   *
   * @param appId the app id it was resolved for
   * @param namespace its namespace
   * @param address the address that refused
   */
  default void unreachable(String appId, String namespace, AppAddress address) {}

  /** Withdraws every registration made through this resolver and releases its resources. */
  @Override
  void close();

  /** One instance made findable; closing it withdraws it. Closing twice does nothing. */
  interface Registration extends AutoCloseable {
    /**
     * The registered instance.
     *
     * @return the instance
     */
    AppInstance instance();

    @Override
    void close();
  }
}
