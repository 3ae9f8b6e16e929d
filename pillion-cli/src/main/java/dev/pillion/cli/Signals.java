package dev.pillion.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Handles SIGTERM and SIGINT in place of the JVM's default (which runs the shutdown hooks and exits
 * with 128 + the signal number, whatever the program was doing), so {@code pillion run} can stop
 * its application, wait for it and exit with the application's own code.
 *
 * <p>Uses {@code sun.misc.Signal} (module {@code jdk.unsupported}, present in every OpenJDK)
 * through reflection, so the build stays free of its compile-time warnings; when it is unavailable,
 * the caller falls back to a shutdown hook.
 */
final class Signals {
  private Signals() {}

  /**
   * Routes SIGTERM and SIGINT to a handler until the returned action restores the previous
   * handlers.
   *
   * @param handler called on a JVM signal thread with the signal's name ("TERM" or "INT")
   * @return the restoring action, or empty when signals cannot be handled on this JVM
   */
  static Optional<Runnable> onTermination(Consumer<String> handler) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
      Method getName = signalClass.getMethod("getName");
      Object proxy =
          Proxy.newProxyInstance(
              Signals.class.getClassLoader(),
              new Class<?>[] {handlerClass},
              (self, method, args) ->
                  switch (method.getName()) {
                    case "handle" -> {
                      handler.accept((String) getName.invoke(args[0]));
                      yield null;
                    }
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == args[0];
                    case "toString" -> "pillion run signal handler";
                    default -> null;
                  });
      List<Object[]> previous = new ArrayList<>();
      for (String name : List.of("TERM", "INT")) {
        Object signal = signalClass.getConstructor(String.class).newInstance(name);
        try {
          previous.add(new Object[] {signal, handle.invoke(null, signal, proxy)});
        } catch (java.lang.reflect.InvocationTargetException e) {
          // The signal is reserved (-Xrs) or ignored by the OS for this process: leave it be.
        }
      }
      if (previous.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          () -> {
            for (Object[] entry : previous) {
              try {
                handle.invoke(null, entry[0], entry[1]);
              } catch (ReflectiveOperationException e) {
                // Could not restore: the process is ending anyway.
              }
            }
          });
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return Optional.empty();
    }
  }

  /**
   * The conventional exit code of a process ended by a signal.
   *
   * @param name "TERM" or "INT"
   * @return 143 or 130
   */
  static int exitCode(String name) {
    return 128 + (name.equals("INT") ? 2 : 15);
  }
}
