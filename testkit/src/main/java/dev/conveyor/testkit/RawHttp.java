package dev.conveyor.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP exchange written byte for byte on a fresh socket, for what an HTTP client library will
 * not send (ambiguous framing, stalled heads and bodies, oversized lines): the first answer's
 * status, headers and body, how long it took, whether the server then closed the connection, and
 * anything it sent after the first answer (an answer to bytes it should never have read as a
 * request). {@code status} is -1 when the connection closed, or the time ran out, with no answer.
 */
public record RawHttp(
    int status, Map<String, String> headers, String body, boolean closed, String after, long ms) {

  /** Sends {@code request} to 127.0.0.1:{@code port} and reads for at most {@code limit}. */
  public static RawHttp exchange(int port, String request, Duration limit) throws IOException {
    return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), limit);
  }

  public static RawHttp exchange(int port, byte[] request, Duration limit) throws IOException {
    long start = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      socket.setSoTimeout((int) Math.max(1, limit.toMillis()));
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // the server may answer and close before it read everything (an oversized head): what
        // it answered is still there to read
      }
      InputStream in = socket.getInputStream();
      String head;
      try {
        head = readHead(in);
      } catch (SocketTimeoutException e) {
        return new RawHttp(-1, Map.of(), "", false, "", elapsedMs(start));
      }
      long ms = elapsedMs(start);
      if (head == null) {
        return new RawHttp(-1, Map.of(), "", true, "", ms);
      }
      Map<String, String> headers = new LinkedHashMap<>();
      String[] lines = head.split("\r\n");
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(
              lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
              lines[i].substring(colon + 1).trim());
        }
      }
      int status = Integer.parseInt(lines[0].substring(9, 12));
      String length = headers.get("content-length");
      byte[] body =
          length != null ? in.readNBytes(Integer.parseInt(length)) : readOn(in, socket, 0).bytes();
      // then: closed, or more, for a moment
      Tail tail = readOn(in, socket, 1000);
      return new RawHttp(
          status,
          headers,
          new String(body, StandardCharsets.UTF_8),
          tail.closed(),
          new String(tail.bytes(), StandardCharsets.ISO_8859_1),
          ms);
    }
  }

  /** The answer's Content-Type without parameters, "" when absent. */
  public String type() {
    return headers.getOrDefault("content-type", "").split(";")[0].trim();
  }

  private static long elapsedMs(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  /** The head up to its blank line, or null when the connection closed before any byte. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) {
          return null;
        }
        throw new IOException(
            "closed in the middle of the answer's head: "
                + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private record Tail(byte[] bytes, boolean closed) {}

  /** What arrives until the server closes, or for {@code waitMs} (0: the socket's own limit). */
  private static Tail readOn(InputStream in, Socket socket, int waitMs) throws IOException {
    if (waitMs > 0) {
      socket.setSoTimeout(waitMs);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        bytes.write(buffer, 0, n);
      }
      return new Tail(bytes.toByteArray(), true);
    } catch (SocketTimeoutException e) {
      return new Tail(bytes.toByteArray(), false);
    } catch (IOException e) {
      return new Tail(bytes.toByteArray(), true); // reset by the server: closed
    }
  }
}
