package dev.conveyor.api;

import io.restassured.RestAssured;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A POST that announces a body over MAX_BODY_SIZE and sends none: the api answers from the headers
 * alone. (Sending the body too races the api, which answers 413 and closes at once: the client's
 * write then fails with a broken pipe, as it would for any client, before the answer is read.)
 */
record OversizedPost(int status, String contentType, String body) {

  static OversizedPost send(long contentLength) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", RestAssured.port), 2000);
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /api/v1/work HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + contentLength
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String head = readHead(in);
      int status = Integer.parseInt(head.substring(9, 12));
      String type = header(head, "content-type");
      int length = Integer.parseInt(header(head, "content-length"));
      return new OversizedPost(
          status, type, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (head.indexOf("\r\n\r\n") < 0) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed before the answer's headers ended: " + head);
      }
      head.append((char) b);
    }
    return head.toString();
  }

  private static String header(String head, String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return "";
  }
}
