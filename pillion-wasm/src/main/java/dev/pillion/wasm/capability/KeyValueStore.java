package dev.pillion.wasm.capability;

import com.google.protobuf.ByteString;
import dev.pillion.abi.keyvalue.Entry;
import dev.pillion.abi.keyvalue.Operation;
import dev.pillion.abi.keyvalue.ScanRequest;
import dev.pillion.abi.keyvalue.ScanResponse;
import dev.pillion.abi.keyvalue.WriteBatch;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Items a component keeps in host memory: the storage behind the {@code keyvalue} capability. It
 * outlives every guest instance, so a trap, a timeout or a discarded instance loses nothing, and
 * any number of pooled instances share it.
 *
 * <p>Keys and values are bytes. Every write gives the item a new version from one counter that only
 * grows; an item may expire at an absolute time (Unix milliseconds), after which it reads as
 * absent. Writes come as all-or-nothing batches of conditional operations ({@link
 * #write(WriteBatch)}), checked and applied under one lock; reads take no lock and see every item
 * either before or after a batch (a reader of several keys may see a batch half applied: like
 * Dapr's state API, which reads keys one at a time).
 *
 * <p>Capacity is bounded in bytes (keys, values and a per-item overhead) and items: a batch that
 * would pass either is refused whole, after expired items were swept. Work per batch is linear in
 * its size.
 */
public final class KeyValueStore {
  /** Accounted per item besides its key and value: map entry, item object, arrays' headers. */
  static final int ITEM_OVERHEAD_BYTES = 96;

  private static final int DEFAULT_PAGE = 256;
  private static final int MAX_PAGE = 4096;
  private static final int EXPIRY_SWEEP_PER_WRITE = 64;

  private final String name;
  private final long maxBytes;
  private final long maxItems;
  private final int maxKeyBytes;
  private final LongSupplier clock;
  private final ConcurrentMap<Key, Item> items;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final PriorityQueue<Expiry> expiries = new PriorityQueue<>();

  /**
   * The counter versions and sequence numbers come from. Atomic rather than guarded by the write
   * lock: a sequence number needs no lock (the broker takes one per message it publishes, and made
   * publishers and acknowledgers queue on the lock twice per publish), and writes take their
   * versions while holding it.
   */
  private final AtomicLong lastVersion = new AtomicLong();

  private long usedBytes;
  // Kept here: a skip list's size() walks the whole list.
  private volatile long itemCount;

  private KeyValueStore(Builder builder) {
    this.name = builder.name;
    this.maxBytes = builder.maxBytes;
    this.maxItems = builder.maxItems;
    this.maxKeyBytes = builder.maxKeyBytes;
    this.clock = builder.clock;
    this.items = builder.ordered ? new ConcurrentSkipListMap<>() : new ConcurrentHashMap<>();
  }

  /**
   * A builder.
   *
   * @param name the component the store belongs to, for messages
   * @return a new builder
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * The component the store belongs to.
   *
   * @return its name
   */
  public String name() {
    return name;
  }

  /**
   * Whether the store keeps keys in order and can {@link #scan(ScanRequest)}.
   *
   * @return true if ordered
   */
  public boolean ordered() {
    return items instanceof NavigableMap;
  }

  /**
   * The largest key accepted.
   *
   * @return the limit in bytes
   */
  public int maxKeyBytes() {
    return maxKeyBytes;
  }

  /**
   * Reads one item.
   *
   * @param key the key
   * @return the item, or empty when it is missing or expired
   */
  public Optional<StoredItem> get(byte[] key) {
    Item item = live(items.get(new Key(key)), clock.getAsLong());
    return item == null
        ? Optional.empty()
        : Optional.of(new StoredItem(item.value.clone(), item.version, item.expiresAt));
  }

  /** The live item of a key, for the capability's read path (no copies). */
  Item read(byte[] key) {
    return live(items.get(new Key(key)), clock.getAsLong());
  }

  /**
   * The next value of the store's counter, the one versions come from: unique and growing.
   *
   * @return the value
   */
  public long nextSequence() {
    return lastVersion.incrementAndGet();
  }

  /**
   * Applies a batch: checks every condition, in order, against the store as the earlier operations
   * of the batch leave it; then, if all hold and the result fits the capacity, applies every write.
   *
   * @param batch the operations
   * @return what happened; on failure nothing changed
   */
  public WriteResult write(WriteBatch batch) {
    int count = batch.getOperationsCount();
    for (int i = 0; i < count; i++) {
      int keyBytes = batch.getOperations(i).getKey().size();
      if (keyBytes == 0 || keyBytes > maxKeyBytes) {
        return WriteResult.refused(
            "operation "
                + i
                + " of the batch has a key of "
                + keyBytes
                + " bytes; keys must have 1 to "
                + maxKeyBytes
                + " bytes");
      }
    }
    // Keys (with their hashes) and values are copied before taking the lock: writers of other keys
    // wait only for the map operations.
    Key[] keys = new Key[count];
    byte[][] values = new byte[count][];
    for (int i = 0; i < count; i++) {
      Operation op = batch.getOperations(i);
      keys[i] = new Key(op.getKey().toByteArray());
      if (op.getKind() == Operation.Kind.PUT) {
        values[i] = op.getValue().toByteArray();
      }
    }
    writeLock.lock();
    try {
      long now = clock.getAsLong();
      sweepExpired(now, EXPIRY_SWEEP_PER_WRITE);
      Map<Key, Item> pending = new LinkedHashMap<>();
      Map<Key, Item> before = new HashMap<>();
      for (int i = 0; i < count; i++) {
        Operation op = batch.getOperations(i);
        Key key = keys[i];
        Item current;
        if (pending.containsKey(key)) {
          current = pending.get(key);
        } else {
          current = live(items.get(key), now);
          before.put(key, current);
        }
        if (!holds(op, current)) {
          return WriteResult.conditionFailed(i);
        }
        switch (op.getKind()) {
          case PUT -> {
            long expiresAt = op.getExpiresAtMillis();
            pending.put(key, new Item(values[i], lastVersion.incrementAndGet(), expiresAt));
          }
          case DELETE -> pending.put(key, null);
          case CHECK -> {}
          default -> {
            return WriteResult.refused(
                "operation " + i + " has an unknown kind " + op.getKindValue());
          }
        }
      }
      long bytesDelta = 0;
      long itemsDelta = 0;
      for (Map.Entry<Key, Item> change : pending.entrySet()) {
        Item old = before.get(change.getKey());
        Item replacement = change.getValue();
        bytesDelta += size(change.getKey(), replacement) - size(change.getKey(), old);
        itemsDelta += (replacement == null ? 0 : 1) - (old == null ? 0 : 1);
      }
      if (!fits(bytesDelta, itemsDelta)) {
        sweepExpired(now, Integer.MAX_VALUE);
        if (!fits(bytesDelta, itemsDelta)) {
          return WriteResult.refused(capacityMessage(bytesDelta, itemsDelta));
        }
      }
      for (Map.Entry<Key, Item> change : pending.entrySet()) {
        Key key = change.getKey();
        Item replacement = change.getValue();
        Item old = replacement == null ? items.remove(key) : items.put(key, replacement);
        // The map may still hold an expired item the check read as absent: account for it.
        usedBytes += size(key, replacement) - size(key, old);
        itemCount += (replacement == null ? 0 : 1) - (old == null ? 0 : 1);
        if (replacement != null && replacement.expiresAt > 0) {
          expiries.add(new Expiry(replacement.expiresAt, key, replacement.version));
        }
      }
      return WriteResult.OK;
    } finally {
      writeLock.unlock();
    }
  }

  private boolean fits(long bytesDelta, long itemsDelta) {
    return (bytesDelta <= 0 || usedBytes + bytesDelta <= maxBytes)
        && (itemsDelta <= 0 || itemCount + itemsDelta <= maxItems);
  }

  private String capacityMessage(long bytesDelta, long itemsDelta) {
    if (itemsDelta > 0 && itemCount + itemsDelta > maxItems) {
      return "the store of component '"
          + name
          + "' is full: it holds "
          + itemCount
          + " items and this write adds "
          + itemsDelta
          + ", over its limit of "
          + maxItems
          + " items (wasm.keyvalue.maxItems); nothing was written";
    }
    return "the store of component '"
        + name
        + "' is full: it holds "
        + usedBytes
        + " bytes and this write needs "
        + bytesDelta
        + " more, over its limit of "
        + maxBytes
        + " bytes (wasm.keyvalue.maxBytes); nothing was written";
  }

  private static boolean holds(Operation op, Item current) {
    return switch (op.getCondition()) {
      case ANY -> true;
      case ABSENT -> current == null;
      case PRESENT -> current != null;
      case VERSION -> current != null && current.version == op.getVersion();
      default -> false;
    };
  }

  /**
   * Lists keys in ascending unsigned byte order. The store must be {@link #ordered()}.
   *
   * @param request the prefix, where to start, how many
   * @return the page
   * @throws IllegalStateException if the store is not ordered
   */
  public ScanResponse scan(ScanRequest request) {
    if (!(items instanceof NavigableMap<Key, Item> sorted)) {
      throw new IllegalStateException(
          "the store of component '" + name + "' is not ordered and cannot scan");
    }
    long now = clock.getAsLong();
    int limit = request.getLimit() == 0 ? DEFAULT_PAGE : Math.min(request.getLimit(), MAX_PAGE);
    byte[] prefix = request.getPrefix().toByteArray();
    Key from =
        request.getStartAfter().isEmpty()
            ? new Key(prefix)
            : new Key(request.getStartAfter().toByteArray());
    boolean inclusive = request.getStartAfter().isEmpty();
    ScanResponse.Builder response = ScanResponse.newBuilder();
    for (Map.Entry<Key, Item> entry : sorted.tailMap(from, inclusive).entrySet()) {
      if (!entry.getKey().startsWith(prefix)) {
        break;
      }
      Item item = live(entry.getValue(), now);
      if (item == null) {
        continue;
      }
      if (response.getEntriesCount() == limit) {
        response.setMore(true);
        break;
      }
      Entry.Builder out =
          Entry.newBuilder()
              .setKey(ByteString.copyFrom(entry.getKey().bytes))
              .setVersion(item.version)
              .setExpiresAtMillis(item.expiresAt);
      if (!request.getKeysOnly()) {
        out.setValue(ByteString.copyFrom(item.value));
      }
      response.addEntries(out);
    }
    return response.build();
  }

  /**
   * How many items the store holds (expired ones not yet swept included).
   *
   * @return the item count
   */
  public long size() {
    return itemCount;
  }

  /**
   * The bytes accounted against the capacity.
   *
   * @return used bytes
   */
  public long usedBytes() {
    writeLock.lock();
    try {
      return usedBytes;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * The capacity in bytes.
   *
   * @return the limit
   */
  public long maxBytes() {
    return maxBytes;
  }

  /**
   * The capacity in items.
   *
   * @return the limit
   */
  public long maxItems() {
    return maxItems;
  }

  private void sweepExpired(long now, int budget) {
    for (int swept = 0; swept < budget; swept++) {
      Expiry head = expiries.peek();
      if (head == null || head.at > now) {
        return;
      }
      expiries.poll();
      Item item = items.get(head.key);
      if (item != null && item.version == head.version) {
        items.remove(head.key);
        usedBytes -= size(head.key, item);
        itemCount--;
      }
    }
  }

  private static Item live(Item item, long now) {
    return item == null || (item.expiresAt > 0 && item.expiresAt <= now) ? null : item;
  }

  private static long size(Key key, Item item) {
    return item == null ? 0 : key.bytes.length + item.value.length + ITEM_OVERHEAD_BYTES;
  }

  /** A stored item as the Java API returns it. */
  public record StoredItem(byte[] value, long version, long expiresAtMillis) {}

  /**
   * The outcome of a batch.
   *
   * @param ok whether it was applied
   * @param failedOperation the index of the operation whose condition failed, or -1
   * @param refusal why the batch was refused (a limit), or empty
   */
  public record WriteResult(boolean ok, int failedOperation, String refusal) {
    static final WriteResult OK = new WriteResult(true, -1, "");

    static WriteResult conditionFailed(int index) {
      return new WriteResult(false, index, "");
    }

    static WriteResult refused(String why) {
      return new WriteResult(false, -1, why);
    }
  }

  /** One stored item; immutable. */
  static final class Item {
    final byte[] value;
    final long version;
    final long expiresAt;

    Item(byte[] value, long version, long expiresAt) {
      this.value = value;
      this.version = version;
      this.expiresAt = expiresAt;
    }
  }

  private record Expiry(long at, Key key, long version) implements Comparable<Expiry> {
    @Override
    public int compareTo(Expiry other) {
      return Long.compare(at, other.at);
    }
  }

  /** A key: bytes with a cached hash, ordered as unsigned bytes. */
  static final class Key implements Comparable<Key> {
    final byte[] bytes;
    private final int hash;

    Key(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    boolean startsWith(byte[] prefix) {
      return bytes.length >= prefix.length
          && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Key key && hash == key.hash && Arrays.equals(bytes, key.bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public int compareTo(Key other) {
      return Arrays.compareUnsigned(bytes, other.bytes);
    }
  }

  /** Builds a {@link KeyValueStore}. */
  public static final class Builder {
    private final String name;
    private long maxBytes = defaultMaxBytes();
    private long maxItems = Long.MAX_VALUE;
    private int maxKeyBytes = 64 * 1024;
    private boolean ordered;
    private LongSupplier clock = System::currentTimeMillis;

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * The default capacity: a quarter of the JVM's maximum heap, so a full store refuses writes
     * long before the JVM runs out of memory.
     *
     * @return bytes
     */
    public static long defaultMaxBytes() {
      return Runtime.getRuntime().maxMemory() / 4;
    }

    /**
     * Sets the capacity in bytes (keys, values and {@value #ITEM_OVERHEAD_BYTES} bytes per item).
     *
     * @param bytes a positive number
     * @return this builder
     */
    public Builder maxBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxBytes must be positive, got " + bytes);
      }
      this.maxBytes = bytes;
      return this;
    }

    /**
     * Sets the capacity in items.
     *
     * @param count a positive number
     * @return this builder
     */
    public Builder maxItems(long count) {
      if (count < 1) {
        throw new IllegalArgumentException("maxItems must be positive, got " + count);
      }
      this.maxItems = count;
      return this;
    }

    /**
     * Sets the largest key.
     *
     * @param bytes 1 to 1 MiB
     * @return this builder
     */
    public Builder maxKeyBytes(int bytes) {
      if (bytes < 1 || bytes > 1 << 20) {
        throw new IllegalArgumentException("maxKeyBytes must be 1..1048576, got " + bytes);
      }
      this.maxKeyBytes = bytes;
      return this;
    }

    /**
     * Keeps keys in order, so the store can scan (a skip list instead of a hash map: reads cost
     * O(log n) instead of O(1)).
     *
     * @param ordered whether to keep keys ordered
     * @return this builder
     */
    public Builder ordered(boolean ordered) {
      this.ordered = ordered;
      return this;
    }

    /**
     * Sets the clock expiry is measured against (tests).
     *
     * @param clock Unix milliseconds
     * @return this builder
     */
    public Builder clock(LongSupplier clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the store.
     *
     * @return the store
     */
    public KeyValueStore build() {
      return new KeyValueStore(this);
    }
  }
}
