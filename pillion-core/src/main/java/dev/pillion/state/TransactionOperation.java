package dev.pillion.state;

import java.util.Objects;

/** One operation of a state transaction: an upsert or a delete. */
public sealed interface TransactionOperation {
  /**
   * An upsert.
   *
   * @param request the write
   * @return the operation
   */
  static TransactionOperation upsert(SaveRequest request) {
    return new Upsert(Objects.requireNonNull(request));
  }

  /**
   * A delete.
   *
   * @param request the delete
   * @return the operation
   */
  static TransactionOperation delete(DeleteRequest request) {
    return new Delete(Objects.requireNonNull(request));
  }

  /**
   * The key the operation affects.
   *
   * @return the key
   */
  String key();

  /**
   * An upsert.
   *
   * @param request the write
   */
  record Upsert(SaveRequest request) implements TransactionOperation {
    @Override
    public String key() {
      return request.key();
    }
  }

  /**
   * A delete.
   *
   * @param request the delete
   */
  record Delete(DeleteRequest request) implements TransactionOperation {
    @Override
    public String key() {
      return request.key();
    }
  }
}
