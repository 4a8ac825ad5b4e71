package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RawHttp;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Thousands of generated hostile requests against the API through a real HAProxy (random bytes,
 * invalid UTF-8, deep nesting, huge strings and numbers, 10 MB bodies, wrong content types, odd
 * ids, malformed HTTP, slow partial bodies), mixed with valid ones: no answer is a 5xx, no refused
 * request writes a key, and the p99 latency of the valid requests is reported.
 */
class HostileInputIT {

  private static final int REQUESTS = Integer.getInteger("hostile.requests", 5_000);
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
  private final Set<String> validIds = ConcurrentHashMap.newKeySet();
  private final List<Long> validNanos = Collections.synchronizedList(new ArrayList<>());
  private final List<String> fiveHundreds = Collections.synchronizedList(new ArrayList<>());
  private final List<String> notJson = Collections.synchronizedList(new ArrayList<>());

  @Test
  void noHostileRequestGetsA5xxOrWritesAnything() throws Exception {
    long seed = Long.getLong("hostile.seed", System.nanoTime());
    System.out.println("hostile input seed " + seed + " (-Dhostile.seed to replay)");
    try (RedisServer redis = RedisServers.start();
        Service api1 =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()));
        Service api2 =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()));
        Haproxy lb = Haproxy.start(RedisServers.freePort(), List.of(api1.port(), api2.port()))) {
      ExecutorService pool = Executors.newFixedThreadPool(6);
      List<Future<?>> done = new ArrayList<>();
      // a few slow partial requests at once: each holds a connection until HAProxy gives up
      for (int i = 0; i < 4; i++) {
        done.add(pool.submit(() -> slowPartialBody(lb.port())));
      }
      for (int i = 0; i < REQUESTS; i++) {
        Random random = new Random(seed + i);
        int n = i;
        done.add(pool.submit(() -> oneRequest(lb.port(), random, n)));
      }
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();

      long[] sorted = validNanos.stream().mapToLong(Long::longValue).sorted().toArray();
      long p50 = sorted[sorted.length / 2] / 1_000;
      long p99 = sorted[(int) (sorted.length * 0.99)] / 1_000;
      System.out.printf(
          "hostile input: %d requests, statuses %s; %d valid, p50 %d µs, p99 %d µs%n",
          REQUESTS + 4, new TreeMap<>(statuses), validIds.size(), p50, p99);

      assertEquals(List.of(), fiveHundreds, "answers of 500 or more");
      assertEquals(List.of(), notJson, "refusals that are not JSON");
      // only the valid requests wrote: their job keys and queue entries, nothing else
      Set<String> jobKeys = scan(redis, "conveyor:job:*");
      Set<String> expected = ConcurrentHashMap.newKeySet();
      validIds.forEach(id -> expected.add("conveyor:job:" + id));
      assertEquals(expected, jobKeys, "job keys written = the valid requests' jobs");
      assertEquals(
          (long) validIds.size(),
          Long.parseLong(redisCli(redis, "LLEN", "conveyor:queue").trim()),
          "queue entries = the valid requests' jobs");
      assertTrue(validIds.size() > REQUESTS / 10, "enough valid requests to measure");
    }
  }

  /**
   * What HTTP client libraries will not send, on raw sockets, through HAProxy and straight at an
   * api (as a Kubernetes Service or a health checker reaches it): ambiguous framing, stalled heads
   * and bodies, oversized lines and headers, bad percent-encoding. Each is refused, never forwarded
   * or stored, with JSON wherever the answering program lets us choose the body.
   */
  @Test
  void rawRequestsAreRefusedWithJsonAndClosedConnections() throws Exception {
    Duration limit = Duration.ofSeconds(12);
    String post = "POST /api/v1/work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    String foo = "{\"data\":\"foo\"}";
    String smuggled =
        "GET /api/v1/work/ACBD18DB4CC2F85CEDEF654FCCC4A4D8 HTTP/1.1\r\nHost: x\r\n\r\n";
    String manyHeaders = "X-H: y\r\n".repeat(10_000);
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start(
                "api",
                RedisServers.freePort(),
                Map.of("REDIS_URL", redis.url(), "IDLE_TIMEOUT", "3s", "BODY_TIMEOUT", "2s"));
        Haproxy lb = Haproxy.start(RedisServers.freePort(), List.of(api.port()))) {
      // HAProxy 3.2 answers what it cannot parse with our errorfiles; 2.6 (Debian 12) with its
      // own HTML, whatever the configuration says (haproxy/haproxy#3032; compose runs 3.2)
      boolean lbJson = Haproxy.version() >= 302;
      int via = lb.port();

      // bad percent-encoding: the api's URI check would answer an empty 400; HAProxy answers
      RawHttp badId =
          RawHttp.exchange(via, "GET /api/v1/work/%zz HTTP/1.1\r\nHost: x\r\n\r\n", limit);
      assertEquals(404, badId.status(), badId.toString());
      assertEquals("{\"status\":\"404. not found!\"}", badId.body());
      RawHttp badPath =
          RawHttp.exchange(
              via,
              post.replace("/api/v1/work", "/api/v%zz/work") + "Content-Length: 14\r\n\r\n" + foo,
              limit);
      assertEquals(400, badPath.status(), badPath.toString());
      assertEquals("application/json", badPath.type(), badPath.toString());

      // what HAProxy refuses while parsing: never forwarded, the connection closed
      Map<String, String> unparsable = new TreeMap<>();
      unparsable.put(
          "xchunked", post + "Content-Length: 14\r\nTransfer-Encoding: xchunked\r\n\r\n" + foo);
      unparsable.put(
          "10,000 headers", "GET /api/v1/work/x HTTP/1.1\r\nHost: x\r\n" + manyHeaders + "\r\n");
      unparsable.put(
          "raw bytes in the path", "GET /api/v1/work/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n");
      unparsable.put(
          "100 KB URL", "GET /api/v1/work/" + "A".repeat(100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      unparsable.put(
          "two Content-Lengths", post + "Content-Length: 14\r\nContent-Length: 15\r\n\r\n" + foo);
      for (var request : unparsable.entrySet()) {
        RawHttp answer = RawHttp.exchange(via, request.getValue(), limit);
        String what = request.getKey() + " through HAProxy: " + shorten(answer.toString());
        assertTrue(answer.closed(), what);
        assertEquals("", answer.after(), what);
        if (answer.status() != -1 || !request.getKey().equals("two Content-Lengths")) {
          // (HAProxy 3.2 closes on two different Content-Lengths without an answer)
          assertTrue(Set.of(400, 414, 431).contains(answer.status()), what);
          if (lbJson) {
            assertEquals("application/json", answer.type(), what);
          }
        }
      }
      // a head that never ends: 408 at HAProxy's timeout http-request (5 s)
      RawHttp slowHead = RawHttp.exchange(via, "GET /api/v1/work/x HTTP/1.1\r\nHost: x\r\n", limit);
      assertEquals(408, slowHead.status(), slowHead.toString());
      assertTrue(slowHead.closed(), "closed after the 408");
      if (lbJson) {
        assertEquals("application/json", slowHead.type());
      }

      // straight at the api: framing it cannot trust is a JSON 400, closed, nothing read after
      int direct = api.port();
      RawHttp xchunked =
          RawHttp.exchange(
              direct,
              post + "Content-Length: 14\r\nTransfer-Encoding: xchunked\r\n\r\n" + foo + smuggled,
              limit);
      assertEquals(400, xchunked.status(), xchunked.toString());
      assertEquals("application/json", xchunked.type());
      assertTrue(xchunked.closed() && xchunked.after().isEmpty(), xchunked.toString());
      // Content-Length and chunked: read by the chunks, then closed: the GET after it is not read
      RawHttp both =
          RawHttp.exchange(
              direct,
              post
                  + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\ne\r\n"
                  + foo
                  + "\r\n0\r\n\r\n"
                  + smuggled,
              limit);
      assertEquals(200, both.status(), both.toString());
      assertTrue(both.closed() && both.after().isEmpty(), both.toString());
      // a body that stalls: JSON 408 at BODY_TIMEOUT
      RawHttp slowBody =
          RawHttp.exchange(direct, post + "Content-Length: 1000000\r\n\r\n{\"data\":\"", limit);
      assertEquals(408, slowBody.status(), slowBody.toString());
      assertEquals("application/json", slowBody.type());
      assertTrue(slowBody.closed() && slowBody.ms() < 5_000, slowBody.toString());
      // three heads that never end: no request exists to answer; closed at IDLE_TIMEOUT
      ExecutorService pool = Executors.newFixedThreadPool(3);
      List<Future<RawHttp>> heads = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        heads.add(
            pool.submit(
                () ->
                    RawHttp.exchange(
                        direct, "GET /api/v1/work/x HTTP/1.1\r\nHost: x\r\nX-A: ", limit)));
      }
      for (Future<RawHttp> head : heads) {
        RawHttp answer = head.get();
        assertEquals(-1, answer.status(), answer.toString());
        assertTrue(answer.closed(), "closed by the api, not by the test's time limit: " + answer);
        assertTrue(answer.ms() >= 2_500 && answer.ms() < 8_000, "at IDLE_TIMEOUT: " + answer.ms());
      }
      pool.shutdown();
      // Quarkus' and Vert.x's own refusals, before any of the api's code runs: the status is
      // right, the body is theirs (empty); HAProxy, the public front, answers these as above
      RawHttp longUrl =
          RawHttp.exchange(
              direct,
              "GET /api/v1/work/" + "A".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
              limit);
      assertEquals(414, longUrl.status(), longUrl.toString());
      RawHttp bigHeader =
          RawHttp.exchange(
              direct,
              "GET /api/v1/work/x HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(30_000) + "\r\n\r\n",
              limit);
      assertEquals(431, bigHeader.status(), bigHeader.toString());
      RawHttp twoLengths =
          RawHttp.exchange(
              direct, post + "Content-Length: 14\r\nContent-Length: 15\r\n\r\n" + foo, limit);
      assertEquals(400, twoLengths.status(), twoLengths.toString());
      assertTrue(twoLengths.closed(), twoLengths.toString());

      // of all this, only the one well-framed chunked POST was stored
      assertEquals(
          Set.of("conveyor:job:ACBD18DB4CC2F85CEDEF654FCCC4A4D8"), scan(redis, "conveyor:job:*"));
    }
  }

  private void oneRequest(int port, Random random, int n) {
    try {
      int kind = random.nextInt(12);
      switch (kind) {
        case 0 -> {
          String data = "hostile run valid " + n;
          valid(port, data, "{\"data\":\"" + data + "\"}", "application/json");
        }
        case 1 -> {
          String data = "x".repeat(random.nextInt(200_000)) + n;
          valid(port, data, "{\"data\":\"" + data + "\"}", "text/plain");
        }
        case 2 -> post(port, randomBytes(random, random.nextInt(4096)), randomContentType(random));
        case 3 -> post(port, invalidUtf8(random), "application/json");
        case 4 ->
            post(
                port,
                nested(random.nextInt(100_000) + 1).getBytes(StandardCharsets.UTF_8),
                "application/json");
        case 5 ->
            post(port, hugeNumber(random).getBytes(StandardCharsets.UTF_8), "application/json");
        case 6 -> {
          if (random.nextInt(20) == 0) { // 10 MB bodies, now and then
            post(port, new byte[10 * 1024 * 1024], "application/json");
          } else {
            post(
                port,
                ("{\"data\":" + "\"y\"".repeat(3) + "}").getBytes(StandardCharsets.UTF_8),
                "application/xml");
          }
        }
        case 7 -> get(port, "/api/v1/work/" + oddId(random));
        case 8 -> rawRequest(port, malformedHttp(random));
        case 9 -> {
          // unknown fields are ignored (duplicates are not: a duplicate key is a 400)
          String data = "extra fields " + n;
          StringBuilder body = new StringBuilder("{\"data\":\"" + data + "\"");
          for (int f = random.nextInt(5000); f > 0; f--) {
            body.append(",\"x").append(f).append("\":1");
          }
          valid(port, data, body.append('}').toString(), "application/json");
        }
        case 10 -> method(port, random.nextBoolean() ? "PUT" : "DELETE", "/api/v1/work");
        default ->
            post(
                port,
                ("{\"data\":" + randomJsonValue(random) + "}").getBytes(StandardCharsets.UTF_8),
                "application/json");
      }
    } catch (IOException e) {
      // a connection HAProxy closed on garbage is a refusal, not a 5xx
      statuses.computeIfAbsent(-1, k -> new AtomicInteger()).incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void valid(int port, String data, String body, String type)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    HttpResponse<String> response =
        send(port, post("/api/v1/work", body.getBytes(StandardCharsets.UTF_8), type, port));
    validNanos.add(System.nanoTime() - start);
    record(response.statusCode(), body);
    if (response.statusCode() == 200) {
      validIds.add(md5(data));
    } else {
      fiveHundreds.add("a valid request refused: " + response.statusCode() + " " + response.body());
    }
  }

  /** The callback id: the uppercase MD5 of the data. */
  private static String md5(String data) {
    try {
      return HexFormat.of()
          .withUpperCase()
          .formatHex(
              java.security.MessageDigest.getInstance("MD5")
                  .digest(data.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void post(int port, byte[] body, String type) throws IOException, InterruptedException {
    HttpResponse<String> response = send(port, post("/api/v1/work", body, type, port));
    record(response, describe(body));
  }

  private void get(int port, String path) throws IOException, InterruptedException {
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build();
    } catch (IllegalArgumentException e) {
      rawRequest(
          port,
          ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      return;
    }
    HttpResponse<String> response = send(port, request);
    record(response, path);
  }

  private void method(int port, String method, String path)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        send(
            port,
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.ofString("{\"data\":\"m\"}"))
                .build());
    record(response, method);
  }

  private static HttpRequest post(String path, byte[] body, String type, int port) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", type)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  private static HttpResponse<String> send(int port, HttpRequest request)
      throws IOException, InterruptedException {
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Writes bytes on a fresh socket and reads the status line of whatever comes back. */
  private void rawRequest(int port, byte[] bytes) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(bytes);
      out.flush();
      socket.shutdownOutput();
      String head = readHead(socket.getInputStream());
      if (head.startsWith("HTTP/1.")) {
        record(
            Integer.parseInt(head.substring(9, 12)),
            new String(bytes, 0, Math.min(60, bytes.length), StandardCharsets.ISO_8859_1));
      } else {
        statuses.computeIfAbsent(-1, k -> new AtomicInteger()).incrementAndGet();
      }
    }
  }

  /** Sends the head and part of a body, then stalls: HAProxy must answer 408, not hang. */
  private void slowPartialBody(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /api/v1/work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 100\r\n\r\n{\"data\":")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = readHead(socket.getInputStream());
      record(
          head.startsWith("HTTP/1.") ? Integer.parseInt(head.substring(9, 12)) : -1, "slow body");
    } catch (IOException e) {
      statuses.computeIfAbsent(-1, k -> new AtomicInteger()).incrementAndGet();
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n' && head.size() < 200) {
      head.write(b);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** An answer to a well-formed HTTP request: a refusal must be JSON, whoever gave it. */
  private void record(HttpResponse<String> response, String what) {
    record(response.statusCode(), what);
    String type = response.headers().firstValue("Content-Type").orElse("");
    if (response.statusCode() != 200 && !type.startsWith("application/json")) {
      notJson.add(response.statusCode() + " " + type + " for " + shorten(what));
    }
  }

  private static String shorten(String what) {
    return what.length() > 120 ? what.substring(0, 120) + "…" : what;
  }

  private void record(int status, String what) {
    statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
    if (status >= 500) {
      fiveHundreds.add(
          status + " for " + (what.length() > 120 ? what.substring(0, 120) + "…" : what));
    }
  }

  private static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static String randomContentType(Random random) {
    return List.of(
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "multipart/form-data; boundary=xyz",
            "application/json; charset=latin1",
            "nonsense")
        .get(random.nextInt(7));
  }

  private static byte[] invalidUtf8(Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("{\"data\":\"".getBytes(StandardCharsets.US_ASCII));
    byte[][] bad = {
      {(byte) 0xC3},
      {(byte) 0xFF},
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
      {(byte) 0xF8, (byte) 0x88},
      {(byte) 0x80}
    };
    out.writeBytes(bad[random.nextInt(bad.length)]);
    out.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static String nested(int depth) {
    return "{\"data\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
  }

  private static String hugeNumber(Random random) {
    return switch (random.nextInt(3)) {
      case 0 -> "{\"data\":1e" + random.nextInt(Integer.MAX_VALUE) + "}";
      case 1 -> "{\"data\":" + "9".repeat(100_000) + "}";
      default -> "{\"data\":-0." + "1".repeat(50_000) + "e-999999}";
    };
  }

  private static String oddId(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> "../../etc/passwd";
      case 1 -> "%00";
      case 2 -> "A".repeat(10 * 1024);
      case 3 -> "%2e%2e%2f%2e%2e";
      case 4 -> HexFormat.of().formatHex(randomBytes(random, 16));
      case 5 -> "_" + "ACBD18DB4CC2F85CEDEF654FCCC4A4D8?x=" + "%ff".repeat(100);
      case 6 -> "%C0%AE%C0%AE%2F";
      default -> "\u00e9\u4e2d";
    };
  }

  private static byte[] malformedHttp(Random random) {
    String[] lines = {
      "GARBAGE\r\n\r\n",
      "POST /api/v1/work HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nnot hex\r\n0\r\n\r\n",
      "POST /api/v1/work HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
      "GET /api/v1/work/ACBD HTTP/9.9\r\nHost: x\r\n\r\n",
      "POST /api/v1/work HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "POST /api/v1/work HTTP/1.1\r\n" + "X-Big: " + "h".repeat(70_000) + "\r\n\r\n",
      "\u0000\u0001\u0002 /\r\n\r\n",
    };
    return lines[random.nextInt(lines.length)].getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String randomJsonValue(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> "null";
      case 1 -> "true";
      case 2 -> "{\"nested\":\"object\"}";
      case 3 -> "[\"a\",\"b\"]";
      case 4 -> "\"unterminated";
      default -> "\"\\ud800\"";
    };
  }

  private static String describe(byte[] body) {
    return body.length
        + " bytes: "
        + new String(body, 0, Math.min(80, body.length), StandardCharsets.ISO_8859_1);
  }

  private static Set<String> scan(RedisServer redis, String pattern) throws Exception {
    // the test's own Redis: a scan here is fine, and the system itself never scans
    String out = redisCli(redis, "--scan", "--pattern", pattern);
    Set<String> keys = ConcurrentHashMap.newKeySet();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        keys.add(line.trim());
      }
    }
    return keys;
  }

  private static String redisCli(RedisServer redis, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(redis.port())));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor();
    return out;
  }
}
