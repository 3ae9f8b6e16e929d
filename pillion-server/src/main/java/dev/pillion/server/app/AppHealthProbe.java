package dev.pillion.server.app;

public interface AppHealthProbe {
  boolean healthy(java.time.Duration timeout) throws InterruptedException;
}
