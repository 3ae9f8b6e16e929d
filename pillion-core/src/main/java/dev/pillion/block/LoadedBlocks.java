package dev.pillion.block;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The components a {@link ComponentLoader} loaded, each with the API its building block opened over
 * it, by block and name. Thread-safe once built (it is not modified after loading).
 */
public final class LoadedBlocks {
  private static final System.Logger LOG = System.getLogger(LoadedBlocks.class.getName());

  private final List<BuildingBlock<?, ?>> blocks;
  private final Map<String, Map<String, Object>> apis = new LinkedHashMap<>();
  private final List<Entry> entries = new ArrayList<>();

  LoadedBlocks(List<BuildingBlock<?, ?>> blocks) {
    this.blocks = List.copyOf(blocks);
    for (BuildingBlock<?, ?> block : blocks) {
      apis.put(block.name(), new LinkedHashMap<>());
    }
  }

  /**
   * One loaded component, as Dapr's metadata API lists it.
   *
   * @param block the building block's name
   * @param name the component's name
   * @param type its type, e.g. {@code state.in-memory}
   * @param version its version, e.g. {@code v1}
   * @param features its feature strings
   * @param blocking whether its calls may wait on I/O ({@link MayBlock#isBlocking()}, asked once at
   *     load)
   */
  public record Entry(
      String block,
      String name,
      String type,
      String version,
      List<String> features,
      boolean blocking) {
    /** Copies the features. */
    public Entry {
      features = List.copyOf(features);
    }
  }

  /** A loaded API with what closes it. */
  private record Opened(Object api, Runnable close) {}

  private final Map<String, Opened> opened = new LinkedHashMap<>();

  <C extends AutoCloseable, A> void add(
      BuildingBlock<C, A> block, String name, A api, String type, String version, C component) {
    apis.get(block.name()).put(name, api);
    opened.put(name, new Opened(api, () -> block.close(api)));
    entries.add(
        new Entry(
            block.name(),
            name,
            type,
            version,
            List.copyOf(block.features(component)),
            component instanceof MayBlock mayBlock && mayBlock.isBlocking()));
  }

  boolean contains(String name) {
    return opened.containsKey(name);
  }

  /**
   * The API of a loaded component.
   *
   * @param <A> the API type
   * @param block the building block
   * @param name the component's name
   * @return its API
   * @throws RuntimeException the block's not-found exception when no such component is loaded
   */
  public <A> A api(BuildingBlock<?, A> block, String name) {
    Objects.requireNonNull(name, "name");
    Map<String, Object> byName = apis.get(block.name());
    Object api = byName == null ? null : byName.get(name);
    if (api == null) {
      throw block.notFound(name, byName == null ? Set.of() : byName.keySet());
    }
    return block.apiType().cast(api);
  }

  /**
   * The names of a block's loaded components.
   *
   * @param block the building block
   * @return the names, in load order
   */
  public Set<String> names(BuildingBlock<?, ?> block) {
    Map<String, Object> byName = apis.get(block.name());
    return byName == null ? Set.of() : Collections.unmodifiableSet(byName.keySet());
  }

  /**
   * Every loaded component.
   *
   * @return the components, in load order
   */
  public List<Entry> entries() {
    return Collections.unmodifiableList(entries);
  }

  /**
   * Closes every API (and its component): blocks in the reverse of their registration order, so a
   * block loaded first (secret stores, which others' metadata may come from) closes last; a failure
   * is logged and the others still close.
   */
  public void close() {
    for (int i = blocks.size() - 1; i >= 0; i--) {
      BuildingBlock<?, ?> block = blocks.get(i);
      for (String name : apis.get(block.name()).keySet()) {
        try {
          opened.get(name).close().run();
        } catch (RuntimeException e) {
          LOG.log(
              System.Logger.Level.WARNING,
              "closing " + block.componentNoun() + " '" + name + "' failed",
              e);
        }
      }
    }
  }
}
