package dev.pillion.state;

/** Feature strings a state component reports, as Dapr names them. */
public final class StateFeature {
  /** The store issues and checks etags. */
  public static final String ETAG = "ETAG";

  /** The store runs multi-operation transactions atomically. */
  public static final String TRANSACTIONAL = "TRANSACTIONAL";

  /** The store honours {@code ttlInSeconds}. */
  public static final String TTL = "TTL";

  /** The store answers state queries. */
  public static final String QUERY_API = "QUERY_API";

  private StateFeature() {}
}
