package dev.pillion.redis;

import com.google.protobuf.ByteString;
import dev.pillion.abi.redis.Replies;
import dev.pillion.abi.redis.Reply;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.CommandOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Decodes one command's raw reply into a {@link Reply}, whatever its shape: bulk strings keep their
 * bytes, nil stays apart from empty, error replies (also inside arrays, as EXEC's) are values, not
 * failures of the command, and maps are flattened as RESP2 sends them. Lettuce's decoder hands a
 * simple string ({@code +OK}) to the output exactly as a bulk string, so both arrive as {@code
 * bulk} (docs/abi.md says so). Counts the bytes it keeps, and keeps none past its budget, so a huge
 * reply cannot exhaust the host's memory twice.
 */
final class ReplyOutput extends CommandOutput<byte[], byte[], Reply> {
  /** An array being filled, with how many items it still expects. */
  private static final class Frame {
    final Replies.Builder items = Replies.newBuilder();
    int remaining;

    Frame(int remaining) {
      this.remaining = remaining;
    }
  }

  private final Deque<Frame> frames = new ArrayDeque<>();
  private final long budget;
  private long kept;
  private boolean overBudget;

  /**
   * An output keeping at most {@code budget} bytes of reply.
   *
   * @param budget the largest answer the caller can take
   */
  ReplyOutput(long budget) {
    super(ByteArrayCodec.INSTANCE, null);
    this.budget = budget;
  }

  /** Whether the reply was larger than the budget (and so was not kept). */
  boolean overBudget() {
    return overBudget;
  }

  /** How many bytes of reply arrived. */
  long size() {
    return kept;
  }

  private void add(Reply reply, long bytes) {
    kept += bytes;
    if (kept > budget) {
      overBudget = true;
    }
    if (frames.isEmpty()) {
      output = overBudget ? Reply.getDefaultInstance() : reply;
      return;
    }
    Frame top = frames.peek();
    if (!overBudget) {
      top.items.addItems(reply);
    }
    top.remaining--;
    while (top != null && top.remaining == 0) {
      frames.pop();
      Reply array = Reply.newBuilder().setArray(top.items).build();
      Frame parent = frames.peek();
      if (parent == null) {
        output = overBudget ? Reply.getDefaultInstance() : array;
      } else {
        if (!overBudget) {
          parent.items.addItems(array);
        }
        parent.remaining--;
      }
      top = parent;
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private static Reply nil() {
    return Reply.newBuilder().setNil(true).build();
  }

  @Override
  public void set(ByteBuffer bytes) {
    if (bytes == null) {
      add(nil(), 1);
    } else {
      byte[] value = bytes(bytes);
      add(Reply.newBuilder().setBulk(ByteString.copyFrom(value)).build(), value.length + 4L);
    }
  }

  @Override
  public void setSingle(ByteBuffer bytes) {
    if (bytes == null) {
      add(nil(), 1);
    } else {
      byte[] value = bytes(bytes);
      add(Reply.newBuilder().setStatus(ByteString.copyFrom(value)).build(), value.length + 4L);
    }
  }

  @Override
  public void setBigNumber(ByteBuffer bytes) {
    setSingle(bytes);
  }

  @Override
  public void set(long integer) {
    add(Reply.newBuilder().setInteger(integer).build(), 10);
  }

  @Override
  public void set(double number) {
    add(Reply.newBuilder().setDouble(number).build(), 10);
  }

  @Override
  public void set(boolean value) {
    add(Reply.newBuilder().setInteger(value ? 1 : 0).build(), 2);
  }

  /** An error reply is the command's value (EXEC's items may be errors); the command succeeded. */
  @Override
  public void setError(ByteBuffer error) {
    setError(error == null ? "" : StandardCharsets.UTF_8.decode(error).toString());
  }

  @Override
  public void setError(String error) {
    add(Reply.newBuilder().setError(error).build(), error.length() + 4L);
  }

  @Override
  public boolean hasError() {
    return false;
  }

  @Override
  public void multi(int count) {
    if (count < 0) {
      add(nil(), 1);
    } else if (count == 0) {
      add(Reply.newBuilder().setArray(Replies.getDefaultInstance()).build(), 2);
    } else {
      frames.push(new Frame(count));
    }
  }

  @Override
  public void multiArray(int count) {
    multi(count);
  }

  @Override
  public void multiSet(int count) {
    multi(count);
  }

  @Override
  public void multiPush(int count) {
    multi(count);
  }

  @Override
  public void multiMap(int count) {
    multi(count < 0 ? count : count * 2);
  }
}
