package dev.pillion.server;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether the runtime is ready, as daprd's {@code GET /v1.0/healthz} reports it: not before the
 * app's subscriptions (programmatic and declared) are started, so a client that waits for health
 * before publishing cannot publish into a topic no one subscribes to yet. Until then it says what
 * the runtime waits for. Thread-safe.
 */
public final class Readiness {
  private volatile String waitingFor;

  private Readiness(String waitingFor) {
    this.waitingFor = waitingFor;
  }

  /**
   * A runtime that is ready now.
   *
   * @return the readiness
   */
  public static Readiness ready() {
    return new Readiness(null);
  }

  /**
   * A runtime that is not ready yet.
   *
   * @param what what it waits for, e.g. {@code the app on port 8080 to accept connections}
   * @return the readiness
   */
  public static Readiness waitingFor(String what) {
    return new Readiness(Objects.requireNonNull(what, "what"));
  }

  /**
   * Records a new step the runtime waits for (ignored once ready: readiness is not withdrawn).
   *
   * @param what what it waits for now
   */
  public void stillWaitingFor(String what) {
    Objects.requireNonNull(what, "what");
    synchronized (this) {
      if (waitingFor != null) {
        waitingFor = what;
      }
    }
  }

  /** Marks the runtime ready. */
  public void markReady() {
    synchronized (this) {
      waitingFor = null;
    }
  }

  /**
   * What the runtime still waits for.
   *
   * @return empty once it is ready
   */
  public Optional<String> pending() {
    return Optional.ofNullable(waitingFor);
  }
}
