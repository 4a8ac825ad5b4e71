package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Results without polling and control over a job, through HAProxy to the packaged api and worker as
 * real processes: a wait held past HAProxy's usual 30 s, a wait answered on completion, the event
 * stream, a signed webhook to a receiver on loopback, and cancels that reach the worker process
 * holding the job, or outlive it when it is killed.
 */
class ResultsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NOTIFY_SECRET = "results it notify secret";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static JsonNode json(String body) throws Exception {
    return JSON.readTree(body);
  }

  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder at(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
  }

  @Test
  void waitsStreamsAndWebhooksThroughHaproxy() throws Exception {
    BlockingQueue<byte[]> hooks = new LinkedBlockingQueue<>();
    BlockingQueue<String> signatures = new LinkedBlockingQueue<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          // the signature first: the test reads it as soon as the body is there
          signatures.add(exchange.getRequestHeaders().getFirst("X-Conveyor-Signature"));
          hooks.add(exchange.getRequestBody().readAllBytes());
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    receiver.start();
    String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start(
                "api",
                RedisServers.freePort(),
                Map.of("REDIS_URL", redis.url(), "NOTIFY_ALLOWED_HOSTS", "127.0.0.1"));
        Haproxy lb = Haproxy.start(RedisServers.freePort(), List.of(api.port()))) {
      int port = lb.port();
      // a job no worker serves, waited on for 35 s: longer than HAProxy's 30 s timeouts
      String idle =
          json(send(at(port, "/api/v1/work")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"data\":\"idle\",\"type\":\"nobody\"}"))
                      .build())
                  .body())
              .get("callback")
              .asText();
      long longStart = System.nanoTime();
      CompletableFuture<HttpResponse<String>> longWait =
          HTTP.sendAsync(
              at(port, "/api/v1/work/" + idle + "?wait=35s").build(),
              HttpResponse.BodyHandlers.ofString());

      String body = "{\"data\":\"results through haproxy\",\"notify_url\":\"" + hook + "\"}";
      JsonNode accepted =
          json(
              send(at(port, "/api/v1/work").POST(HttpRequest.BodyPublishers.ofString(body)).build())
                  .body());
      String id = accepted.get("callback").asText();
      assertEquals(hook, accepted.get("notify_url").asText());

      // the stream, through HAProxy: each state as it comes, then its end
      List<String> events = new CopyOnWriteArrayList<>();
      HttpResponse<Stream<String>> stream =
          HTTP.send(
              at(port, "/api/v1/work/" + id + "/events").build(),
              HttpResponse.BodyHandlers.ofLines());
      assertEquals(200, stream.statusCode());
      assertEquals("text/event-stream", stream.headers().firstValue("content-type").orElse(""));
      CompletableFuture<Void> streamed =
          CompletableFuture.runAsync(
              () -> stream.body().filter(l -> l.startsWith("event: ")).forEach(events::add));
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> events.equals(List.of("event: pending")));
      // the worker comes once the stream is open: it sees the job pending, then the rest
      Service worker =
          Service.start(
              "worker",
              RedisServers.freePort(),
              Map.of(
                  "REDIS_URL",
                  redis.url(),
                  "WORK_DURATION",
                  "1s",
                  "NOTIFY_SECRET",
                  NOTIFY_SECRET,
                  "NOTIFY_ALLOWED_HOSTS",
                  "127.0.0.1"));
      try {

        // a wait answered when the job is worked
        HttpResponse<String> waited =
            send(
                at(port, "/api/v1/work/" + id + "?wait=20s")
                    .timeout(Duration.ofSeconds(30))
                    .build());
        Instant answered = Instant.now();
        JsonNode view = json(waited.body());
        assertEquals("worked", view.get("status").asText(), view.toString());
        Instant finished = Instant.parse(view.get("finished_at").asText());
        System.out.printf(
            "[results] ?wait= answered %d ms after finished_at (through HAProxy)%n",
            Duration.between(finished, answered).toMillis());

        streamed.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("event: pending", "event: working", "event: worked"), events);

        // the webhook: the final view, signed over its exact bytes
        byte[] delivered = hooks.poll(15, TimeUnit.SECONDS);
        assertTrue(delivered != null, "no webhook within 15 s");
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(NOTIFY_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertEquals(
            "sha256=" + HexFormat.of().formatHex(mac.doFinal(delivered)),
            signatures.poll(5, TimeUnit.SECONDS));
        JsonNode hooked = json(new String(delivered, StandardCharsets.UTF_8));
        assertEquals("worked", hooked.get("status").asText());
        assertEquals(view.get("result"), hooked.get("result"));
        assertEquals(view.get("finished_at"), hooked.get("finished_at"));

        HttpResponse<String> held = longWait.get(60, TimeUnit.SECONDS);
        long heldMs = (System.nanoTime() - longStart) / 1_000_000;
        assertEquals(200, held.statusCode(), held.body());
        assertEquals("pending", json(held.body()).get("status").asText());
        assertTrue(heldMs >= 35_000, "held " + heldMs + " ms");
        assertTrue(api.metric("conveyor_waiters") == 0, "every wait released");
      } finally {
        worker.close();
      }
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void aCancelReachesTheWorkerProcessHoldingTheJobAndOutlivesItsDeath() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()));
        Haproxy lb = Haproxy.start(RedisServers.freePort(), List.of(api.port()))) {
      Map<String, String> workerEnv =
          Map.of("REDIS_URL", redis.url(), "WORK_DURATION", "60s", "HEARTBEAT_INTERVAL", "300ms");
      Endpoint through = Endpoint.at(lb.port());
      String orphanId;
      try (Service worker = Service.start("worker", RedisServers.freePort(), workerEnv)) {
        JsonNode running = json(through.post("/api/v1/work", "{\"data\":\"cancel me\"}").body());
        String id = running.get("callback").asText();
        through.awaitStatus(id, "working");
        HttpResponse<String> cancelled =
            send(
                at(lb.port(), "/api/v1/work/" + id)
                    .header("Authorization", "Bearer " + running.get("cancel_token").asText())
                    .DELETE()
                    .build());
        assertEquals(202, cancelled.statusCode(), cancelled.body());
        assertEquals("cancelled", json(cancelled.body()).get("status").asText());
        Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> worker.metric("conveyor_jobs_cancelled_running_total") == 1);
        assertTrue(worker.log().contains("job " + id + " cancelled: interrupting its handler"));
        assertEquals(
            "cancelled", json(through.get("/api/v1/work/" + id).body()).get("status").asText());

        // the next job: its worker is killed while it runs, then it is cancelled
        JsonNode orphan = json(through.post("/api/v1/work", "{\"data\":\"orphaned\"}").body());
        orphanId = orphan.get("callback").asText();
        through.awaitStatus(orphanId, "working");
        worker.kill();
        HttpResponse<String> late =
            send(
                at(lb.port(), "/api/v1/work/" + orphanId)
                    .header("Authorization", "Bearer " + orphan.get("cancel_token").asText())
                    .DELETE()
                    .build());
        assertEquals(202, late.statusCode(), late.body());
      }
      // a new worker's janitor recovers what the dead one held: the cancelled job is dropped,
      // never brought back to be worked
      try (Service next =
          Service.start(
              "worker",
              RedisServers.freePort(),
              Map.of(
                  "REDIS_URL",
                  redis.url(),
                  "WORK_DURATION",
                  "0s",
                  "HEARTBEAT_INTERVAL",
                  "300ms"))) {
        Awaitility.await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> next.log().contains("0 of its job(s) back on the queue"));
        String probe =
            json(through.post("/api/v1/work", "{\"data\":\"after the kill\"}").body())
                .get("callback")
                .asText();
        through.awaitStatus(probe, "worked");
        assertEquals(
            "cancelled",
            json(through.get("/api/v1/work/" + orphanId).body()).get("status").asText());
      }
    }
  }
}
