package dev.pillion.invoke.resolution;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Looks a host name up in DNS; the JDK's resolver unless a test supplies another. */
@FunctionalInterface
public interface HostLookup {
  /**
   * The JDK's resolver ({@link InetAddress#getAllByName}), with the JDK's caching.
   *
   * @return the lookup
   */
  static HostLookup jdk() {
    return host -> List.of(InetAddress.getAllByName(host));
  }

  /**
   * The addresses of a host name.
   *
   * @param host the name
   * @return its addresses, at least one
   * @throws UnknownHostException when the name has no address
   */
  List<InetAddress> lookup(String host) throws UnknownHostException;
}
