package dev.pillion.invoke;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The runtimes of this JVM by namespace and app id: an invocation of one of them calls it directly.
 * Several runtimes with one app id take turns.
 */
final class InProcessApps {
  private static final ConcurrentHashMap<String, Instances> APPS = new ConcurrentHashMap<>();

  private InProcessApps() {}

  private static final class Instances {
    private final List<InvocationService> services = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
  }

  static void register(InvocationService service) {
    APPS.computeIfAbsent(key(service.appId(), service.namespace()), k -> new Instances())
        .services
        .add(service);
  }

  static void unregister(InvocationService service) {
    Instances instances = APPS.get(key(service.appId(), service.namespace()));
    if (instances != null) {
      instances.services.remove(service);
    }
  }

  static Optional<InvocationService> find(String appId, String namespace) {
    Instances instances = APPS.get(key(appId, namespace));
    if (instances == null) {
      return Optional.empty();
    }
    List<InvocationService> services = instances.services;
    int size = services.size();
    if (size == 0) {
      return Optional.empty();
    }
    if (size == 1) {
      return Optional.of(services.get(0));
    }
    try {
      return Optional.of(services.get(Math.floorMod(instances.next.getAndIncrement(), size)));
    } catch (IndexOutOfBoundsException e) {
      // One closed between size() and get(): take whichever is left.
      return services.isEmpty() ? Optional.empty() : Optional.of(services.get(0));
    }
  }

  private static String key(String appId, String namespace) {
    return namespace + "/" + appId;
  }
}
