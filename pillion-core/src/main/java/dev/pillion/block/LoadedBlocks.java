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

  /**
   * A loaded API with what the view it belongs to does with it when closed: the loading view closes
   * the API and its component; an app's view only releases what the API runs.
   */
  private record Opened(Object api, Runnable close) {}

  /** What reopens a component for another app: the block, the component and its metadata. */
  private record Source<C extends AutoCloseable, A>(
      BuildingBlock<C, A> block,
      String name,
      C component,
      Map<String, String> metadata,
      List<String> scopes,
      Entry entry) {
    A open(BuildingBlock.Opener<?, ?> opener) {
      @SuppressWarnings("unchecked") // openers are keyed by the block that made them
      BuildingBlock.Opener<C, A> typed = (BuildingBlock.Opener<C, A>) opener;
      return typed.open(name, component, metadata);
    }
  }

  private final Map<String, Opened> opened = new LinkedHashMap<>();
  private final List<Source<?, ?>> sources = new ArrayList<>();

  <C extends AutoCloseable, A> void add(
      BuildingBlock<C, A> block,
      String name,
      A api,
      String type,
      String version,
      C component,
      Map<String, String> metadata,
      List<String> scopes) {
    Entry entry =
        new Entry(
            block.name(),
            name,
            type,
            version,
            List.copyOf(block.features(component)),
            component instanceof MayBlock mayBlock && mayBlock.isBlocking());
    put(block, name, api, entry, () -> block.close(api));
    sources.add(
        new Source<>(block, name, component, Map.copyOf(metadata), List.copyOf(scopes), entry));
  }

  private void put(
      BuildingBlock<?, ?> block, String name, Object api, Entry entry, Runnable close) {
    apis.get(block.name()).put(name, api);
    opened.put(name, new Opened(api, close));
    entries.add(entry);
  }

  /**
   * The components as one app sees them: those in scope for its id, each with its API opened for
   * that app (its key prefix, its subscriptions, its event source). The components are shared:
   * closing the view stops what its APIs run (an app's subscriptions) and closes no component; the
   * components close with the view that loaded them.
   *
   * @param context the app's context ({@link RuntimeContext#forApp})
   * @return the app's view
   * @throws dev.pillion.config.ComponentConfigException when a block refuses the app's context
   */
  public LoadedBlocks forApp(RuntimeContext context) {
    LoadedBlocks view = new LoadedBlocks(blocks);
    Map<String, BuildingBlock.Opener<?, ?>> openers = new LinkedHashMap<>();
    for (BuildingBlock<?, ?> block : blocks) {
      openers.put(block.name(), block.prepare(context));
    }
    try {
      for (Source<?, ?> source : sources) {
        if (source.scopes().isEmpty() || source.scopes().contains(context.appId())) {
          view.putReleased(source, openers.get(source.block().name()));
        }
      }
    } catch (RuntimeException e) {
      view.close();
      throw e;
    }
    return view;
  }

  private <C extends AutoCloseable, A> void putReleased(
      Source<C, A> source, BuildingBlock.Opener<?, ?> opener) {
    A api = source.open(opener);
    put(source.block(), source.name(), api, source.entry(), () -> source.block().release(api));
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
   * Closes every API (and, in the view that loaded them, its component; in an app's view, only what
   * the API runs): blocks in the reverse of their registration order, so a block loaded first
   * (secret stores, which others' metadata may come from) closes last; a failure is logged and the
   * others still close.
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
