package dev.pillion.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An application {@link RunCommandTest} starts to check the HTTP limits given on the command line:
 * it sends raw requests to the Dapr HTTP port, each on its own connection (all kept open until the
 * end), and records one line per request: the status line and the body, or "closed" when the server
 * ended the connection without a response.
 *
 * <p>Arguments: the output file, then per request {@code <body bytes>:<request head>}, where the
 * head has {@code \r\n} written as the four characters and the body is that many 'x' bytes.
 */
public final class RawProbe {
  private RawProbe() {}

  /**
   * Runs the probe.
   *
   * @param args the output file, then the requests
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(System.getenv("DAPR_HTTP_PORT"));
    List<String> results = new ArrayList<>();
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 1; i < args.length; i++) {
        int colon = args[i].indexOf(':');
        int bodyBytes = Integer.parseInt(args[i].substring(0, colon));
        String head = args[i].substring(colon + 1).replace("\\r\\n", "\r\n");
        Socket socket = new Socket();
        open.add(socket);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(30_000);
        socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().write("x".repeat(bodyBytes).getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        results.add(readResponse(socket.getInputStream()));
      }
    } finally {
      for (Socket socket : open) {
        socket.close();
      }
    }
    Files.write(Path.of(args[0]), results);
  }

  private static String readResponse(InputStream in) throws IOException {
    String status;
    try {
      status = line(in);
    } catch (java.net.SocketException e) {
      return "closed";
    }
    if (status == null) {
      return "closed";
    }
    int length = 0;
    for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return status + " " + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != -1; b = in.read()) {
      if (b == '\n') {
        return line.toString(StandardCharsets.ISO_8859_1).stripTrailing();
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}
