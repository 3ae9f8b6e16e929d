package dev.pillion.server.app;

/**
 * One check of whether the application behind the app channel is healthy: an HTTP {@code GET} of
 * the app's health path, or the gRPC {@code AppCallbackHealthCheck.HealthCheck} call. The app
 * health checker calls it periodically and decides, from consecutive results, when the app is
 * considered healthy or unhealthy.
 */
public interface AppHealthProbe {

  /**
   * Probes the application once.
   *
   * @param timeout how long to wait for the app's answer; no answer in time counts as unhealthy
   * @return {@code true} if the app answered healthy within {@code timeout}, {@code false} if it
   *     answered unhealthy, could not be reached or did not answer in time
   * @throws InterruptedException if the calling thread is interrupted while waiting for the answer
   */
  boolean healthy(java.time.Duration timeout) throws InterruptedException;
}
