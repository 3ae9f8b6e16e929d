package dev.pillion.wasm;

import static dev.pillion.wasm.WasiGuestMemoryTest.ask;
import static dev.pillion.wasm.WasiGuestMemoryTest.save;
import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A component's stdout, stderr and log calls share one output budget: a guest flooding all three
 * gets its burst and its rate, no more, the drop is reported at WARNING, another component keeps
 * answering meanwhile, and writes over the budget cost the host nothing per byte.
 */
class WasiOutputBudgetTest {
  private final List<Capture> captures = new ArrayList<>();

  /** Collects the records of one logger, keeping them off the console. */
  private static final class Capture extends Handler {
    final Logger logger;
    final List<LogRecord> records = new ArrayList<>();

    Capture(String name) {
      logger = Logger.getLogger(name);
      logger.addHandler(this);
      logger.setUseParentHandlers(false);
    }

    @Override
    public synchronized void publish(LogRecord record) {
      records.add(record);
    }

    synchronized List<LogRecord> records() {
      return List.copyOf(records);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      logger.removeHandler(this);
      logger.setUseParentHandlers(true);
    }
  }

  private Capture capture(String name) {
    Capture capture = new Capture(name);
    captures.add(capture);
    return capture;
  }

  @AfterEach
  void release() {
    captures.forEach(Capture::close);
  }

  /** The bytes of guest output a record carries: its message without the stream prefix. */
  private static long outputBytes(LogRecord record) {
    String message = record.getMessage();
    for (String prefix : new String[] {"[stdout] ", "[stderr] "}) {
      if (message.startsWith(prefix)) {
        return message.length() - prefix.length();
      }
    }
    return message.length();
  }

  private static boolean isDropReport(LogRecord record) {
    return record.getLevel() == Level.WARNING
        && record.getMessage().contains("exceeded its output budget");
  }

  @Test
  void aFloodingComponentStaysWithinItsBudgetAndAnotherKeepsAnswering() throws Exception {
    long rate = 64 * 1024;
    ComponentLimits limits = ComponentLimits.builder().outputBytesPerSecond(rate).build();
    Capture flooderLog = capture("dev.pillion.component.flooder");
    capture("dev.pillion.component.bystander");
    long start = System.nanoTime();
    try (WasmHost host = WasmHost.create();
        WasmComponent flooder =
            host.load(Fixtures.spec(Fixtures.HOSTILE_WASI).name("flooder").limits(limits).build());
        WasmComponent bystander =
            host.load(Fixtures.spec(Fixtures.MISBEHAVING).name("bystander").build())) {
      CompletableFuture<Void> flooding =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 4; i++) {
                  try {
                    // 8 MiB to stdout, 8 MiB to stderr and 16 log calls of 8 MiB each (cut to
                    // 64 KiB by the log capability), per call.
                    assertThat(ask(flooder, "flood:8")).isEqualTo("flooded");
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                }
              });
      int answered = 0;
      do {
        save(bystander, "k" + answered, "v" + answered);
        assertThat(ask(bystander, "k" + answered)).isEqualTo("v" + answered);
        answered++;
      } while (!flooding.isDone());
      flooding.get(2, TimeUnit.MINUTES);
      long elapsedNanos = System.nanoTime() - start;

      List<LogRecord> records = flooderLog.records();
      long logged =
          records.stream()
              .filter(record -> !isDropReport(record))
              .mapToLong(WasiOutputBudgetTest::outputBytes)
              .sum();
      // Everything the budget can have handed out since it was created: one burst plus the rate.
      long allowed = limits.outputBurstBytes() + (long) Math.ceil(rate * (elapsedNanos / 1e9));
      assertThat(logged).isPositive().isLessThanOrEqualTo(allowed);
      assertThat(records)
          .anySatisfy(
              record -> {
                assertThat(isDropReport(record)).isTrue();
                assertThat(record.getMessage())
                    .contains("component 'flooder' exceeded its output budget of 65536 bytes/s");
              });
      assertThat(answered).isPositive();
    }
  }

  private static OutputBudget budget(long bytesPerSecond, long burst) {
    return OutputBudget.create(
        "test", System.getLogger("dev.pillion.test.output"), bytesPerSecond, burst);
  }

  @Test
  void aPauseRefillsWhatTheRateAllowsNotAWholeBurst() throws InterruptedException {
    long rate = 64 * 1024;
    OutputBudget budget = budget(rate, 1 << 20);
    long exhausted = System.nanoTime();
    assertThat(budget.tryAcquire(1 << 20)).isTrue();
    Thread.sleep(1100);
    long taken = 0;
    while (budget.tryAcquire(1024)) {
      taken += 1024;
    }
    long elapsedNanos = System.nanoTime() - exhausted;
    assertThat(taken).isLessThanOrEqualTo((long) Math.ceil(rate * (elapsedNanos / 1e9)));
    assertThat(taken).isPositive();
  }

  private static Memory onePage() {
    return new ByteArrayMemory(new MemoryLimits(1, 1));
  }

  @Test
  void aWriteIntoAnExhaustedBudgetIsDroppedWithoutReadingGuestMemory() {
    Capture log = capture("dev.pillion.test.output");
    OutputBudget budget = budget(1, 1 << 20);
    assertThat(budget.tryAcquire(1 << 20)).isTrue();
    ComponentOutput output =
        new ComponentOutput(
            System.getLogger("dev.pillion.test.output"), System.Logger.Level.INFO, "", budget);
    // 100 MiB from a 64 KiB memory: reading any of it past the first page would throw.
    output.write(onePage(), 0, 100L << 20);
    assertThat(budget.droppedBytes()).isGreaterThanOrEqualTo(100L << 20);
    assertThat(log.records()).allMatch(WasiOutputBudgetTest::isDropReport);
  }

  @Test
  void onceTheBudgetRefusesALineTheRestOfTheWriteIsNotRead() {
    Capture log = capture("dev.pillion.test.output");
    OutputBudget budget = budget(1, 1 << 20);
    assertThat(budget.tryAcquire((1 << 20) - 10_000)).isTrue();
    Memory memory = onePage();
    byte[] lines = new byte[Memory.PAGE_SIZE];
    for (int i = 0; i < lines.length; i++) {
      lines[i] = (byte) (i % 100 == 99 ? '\n' : 'x');
    }
    memory.write(0, lines);
    ComponentOutput output =
        new ComponentOutput(
            System.getLogger("dev.pillion.test.output"), System.Logger.Level.INFO, "", budget);
    // 10 MiB from a 64 KiB memory: the write must stop reading once a line is refused.
    output.write(memory, 0, 10L << 20);
    long logged =
        log.records().stream()
            .filter(record -> !isDropReport(record))
            .mapToLong(WasiOutputBudgetTest::outputBytes)
            .sum();
    assertThat(logged).isPositive().isLessThanOrEqualTo(10_000);
    assertThat(budget.droppedBytes()).isGreaterThan((10L << 20) - 10_000 - Memory.PAGE_SIZE);
  }

  @Test
  void linesAreSplitAtNewlinesAndAt8KiB() {
    Capture log = capture("dev.pillion.test.output");
    ComponentOutput output =
        new ComponentOutput(
            System.getLogger("dev.pillion.test.output"),
            System.Logger.Level.INFO,
            "[stdout] ",
            budget(1 << 20, 1 << 20));
    byte[] text = ("a\n\nbb\n" + "c".repeat(20_000) + "\nd").getBytes(StandardCharsets.UTF_8);
    output.write(text, 0, 3);
    output.write(text, 3, text.length - 3);
    output.flush();
    assertThat(log.records())
        .extracting(LogRecord::getMessage)
        .containsExactly(
            "[stdout] a",
            "[stdout] ",
            "[stdout] bb",
            "[stdout] " + "c".repeat(8192),
            "[stdout] " + "c".repeat(8192),
            "[stdout] " + "c".repeat(20_000 - 2 * 8192),
            "[stdout] d");
  }
}
