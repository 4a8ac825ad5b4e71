package dev.conveyor.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.conveyor.core.CallbackId;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobSpec;
import dev.conveyor.core.NotifyUrl;
import dev.conveyor.core.Store;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Webhooks from a real worker to a real HTTP receiver on loopback: signed with NOTIFY_SECRET over
 * the exact body, retried on a non-2xx, not redirected, given up and listed when the receiver stays
 * down.
 */
@ExtendWith(RedisExtension.class)
class WebhookSenderTest {

  private static final String SECRET = "webhook test secret";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the receiver got: the headers that matter and the body's bytes. */
  private record Received(String signature, String callback, String attempt, byte[] body) {}

  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private HttpServer receiver;
  private WebhookSender sender;

  /** A receiver on loopback answering each request with the next status of {@code statuses}. */
  private String receiver(int... statuses) throws Exception {
    AtomicInteger calls = new AtomicInteger();
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          received.add(
              new Received(
                  exchange.getRequestHeaders().getFirst("X-Conveyor-Signature"),
                  exchange.getRequestHeaders().getFirst("X-Conveyor-Callback"),
                  exchange.getRequestHeaders().getFirst("X-Conveyor-Attempt"),
                  body));
          int status = statuses[Math.min(calls.getAndIncrement(), statuses.length - 1)];
          if (status == 302) {
            exchange.getResponseHeaders().add("Location", "http://127.0.0.1:1/elsewhere");
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
  }

  private WebhookSender start(TestRedis redis, int maxAttempts) {
    sender =
        new WebhookSender(
            Workers.store(redis).webhooks(),
            JSON,
            SECRET,
            NotifyUrl.allowedHosts("127.0.0.1"),
            Duration.ofSeconds(2),
            maxAttempts);
    sender.start();
    return sender;
  }

  @AfterEach
  void stop() {
    if (sender != null) {
      sender.stop();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  private static String submitWithHook(Workers workers, String data, String url) {
    String id = CallbackId.of(data);
    workers
        .queue
        .submit(new JobQueue.Work(id, data, new JobSpec(null, null, null, null, url)), "api@test")
        .await()
        .atMost(Workers.TIMEOUT);
    return id;
  }

  private static String hmac(byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
  }

  @Test
  void aWorkedJobsViewIsPostedSignedOverItsExactBytes(TestRedis redis) throws Exception {
    String url = receiver(200);
    try (Workers workers = new Workers(redis)) {
      start(redis, 3);
      workers.start("w1@test", 1, job -> Map.of("echo", job.data()));
      String id = submitWithHook(workers, "call me", url);
      Received got = received.poll(10, TimeUnit.SECONDS);
      assertTrue(got != null, "no webhook within 10 s");
      assertEquals(hmac(got.body()), got.signature());
      assertEquals(id, got.callback());
      assertEquals("1", got.attempt());
      JsonNode view = JSON.readTree(got.body());
      assertEquals("worked", view.get("status").asText());
      assertEquals(id, view.get("callback").asText());
      assertEquals("call me", view.get("result").get("echo").asText());
      assertEquals("w1@test", view.get("worked_by").asText());
      assertTrue(view.get("finished_at").asText().endsWith("Z"), view.toString());
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> Workers.store(redis).webhooks().pending().await().indefinitely() == 0);
      assertEquals(
          "1", redis.call("HGET", workers.queue.keys().stats(), "webhooks_delivered").toString());
    }
  }

  @Test
  void aNon2xxIsRetriedWithTheSameBodyUntilItIsTaken(TestRedis redis) throws Exception {
    String url = receiver(500, 302, 200);
    try (Workers workers = new Workers(redis)) {
      start(redis, 5);
      workers.start("w1@test", 1, job -> Map.of("n", 1));
      submitWithHook(workers, "flaky receiver", url);
      Received first = received.poll(10, TimeUnit.SECONDS);
      Received second = received.poll(10, TimeUnit.SECONDS); // a redirect is not followed
      Received third = received.poll(10, TimeUnit.SECONDS);
      assertTrue(third != null, "not retried to a 2xx");
      assertEquals(
          List.of("1", "2", "3"), List.of(first.attempt(), second.attempt(), third.attempt()));
      assertArrayEquals(first.body(), third.body(), "the same body each time");
      assertEquals(first.signature(), third.signature());
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> Workers.store(redis).webhooks().pending().await().indefinitely() == 0);
      assertEquals(null, received.poll(300, TimeUnit.MILLISECONDS), "delivered once it was taken");
    }
  }

  @Test
  void aReceiverThatStaysDownIsGivenUpAndListedAsUndelivered(TestRedis redis) throws Exception {
    String url = receiver(200);
    receiver.stop(0); // nothing listens on its port any more
    receiver = null;
    try (Workers workers = new Workers(redis)) {
      start(redis, 2);
      workers.start("w1@test", 1, job -> Map.of());
      String id = submitWithHook(workers, "nobody home", url);
      Store store = Workers.store(redis);
      List<String> undelivered =
          Awaitility.await()
              .atMost(Duration.ofSeconds(15))
              .until(
                  () -> store.webhooks().undelivered(10).await().indefinitely(), l -> !l.isEmpty());
      JsonNode entry = JSON.readTree(undelivered.getFirst());
      assertEquals(id, entry.get("callback").asText());
      assertEquals(url, entry.get("url").asText());
      assertEquals(2, entry.get("attempts").asInt());
      assertTrue(entry.get("last_error").asText().contains("Connect"), entry.toString());
      assertEquals(0L, store.webhooks().pending().await().indefinitely());
    }
  }
}
