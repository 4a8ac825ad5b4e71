package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Thirty seconds without Redis, with work in flight and clients calling: the API answers 503 with
 * Retry-After fast and reports not ready; the workers finish what they hold and write it when Redis
 * returns; no process exits; new work is worked within seconds of Redis' return.
 */
class RedisOutageIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration OUTAGE = Duration.ofSeconds(30);

  private static String status(Service api, String id) throws Exception {
    return JSON.readTree(api.get("/api/v1/work/" + id).body()).get("status").asText();
  }

  private static long worked(Service api, List<String> ids) throws Exception {
    long n = 0;
    for (String id : ids) {
      if ("worked".equals(status(api, id))) {
        n++;
      }
    }
    return n;
  }

  private static String post(Service api, String data) throws Exception {
    HttpResponse<String> response = api.post("/api/v1/work", "{\"data\":\"" + data + "\"}");
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body()).get("callback").asText();
  }

  @Test
  void aThirtySecondOutageUnderLoadLosesNothingAndNeedsNoRestart() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()));
        Service worker1 = worker(redis, "w1");
        Service worker2 = worker(redis, "w2");
        Haproxy lb = Haproxy.start(RedisServers.freePort(), List.of(api.port()))) {
      Endpoint through = Endpoint.at(lb.port());
      List<String> before = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        before.add(post(api, "before the outage " + i));
      }
      // some are in the workers' hands when Redis goes
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "working".equals(status(api, before.getFirst())));

      redis.stop();
      long downSince = System.nanoTime();
      int refused = 0;
      long slowest = 0;
      while (System.nanoTime() - downSince < OUTAGE.toNanos()) {
        long asked = System.nanoTime();
        HttpResponse<String> post =
            api.post("/api/v1/work", "{\"data\":\"during the outage " + refused + "\"}");
        slowest = Math.max(slowest, System.nanoTime() - asked);
        assertEquals(503, post.statusCode(), post.body());
        assertEquals("1", post.headers().firstValue("Retry-After").orElse(""));
        assertTrue(post.body().contains("storage unavailable"), post.body());
        refused++;
        assertEquals(503, api.get("/q/health/ready").statusCode());
        // the api stays in the balancer's rotation and answers for itself: a bad request is
        // told so (400), good work gets the api's own 503, not HAProxy's "no api is ready"
        HttpResponse<String> bad = through.post("/api/v1/work", "{\"data\":1}");
        assertEquals(400, bad.statusCode(), bad.body());
        HttpResponse<String> good =
            through.post("/api/v1/work", "{\"data\":\"lb " + refused + "\"}");
        assertEquals(503, good.statusCode(), good.body());
        assertTrue(good.body().contains("storage unavailable"), good.body());
        assertEquals("1", good.headers().firstValue("Retry-After").orElse(""));
        Thread.sleep(Duration.ofMillis(500));
      }
      assertTrue(api.alive() && worker1.alive() && worker2.alive(), "no process exits");
      System.out.printf(
          "outage: %d POSTs refused with 503, the slowest in %d ms%n",
          refused, slowest / 1_000_000);
      assertTrue(slowest < Duration.ofSeconds(1).toNanos(), "503s are fast");
      // the workers count the calls the outage failed, for Prometheus
      for (Service worker : List.of(worker1, worker2)) {
        double errors = worker.metric("conveyor_redis_errors_total");
        assertTrue(errors > 0, "conveyor_redis_errors_total during the outage: " + errors);
      }

      redis.restart();
      long backAt = System.nanoTime();
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> api.get("/q/health/ready").statusCode() == 200);
      long workedAtReturn = worked(api, before);
      Awaitility.await("work resumes")
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> worked(api, before) > workedAtReturn || workedAtReturn == before.size());
      System.out.printf(
          "work resumed %d ms after Redis returned (%d of %d worked then)%n",
          (System.nanoTime() - backAt) / 1_000_000, workedAtReturn, before.size());
      String after = post(api, "after the outage");
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> worked(api, before) == before.size() && "worked".equals(status(api, after)));
    }
  }

  private static Service worker(RedisServer redis, String name) throws Exception {
    return Service.start(
        "worker",
        RedisServers.freePort(),
        Map.of(
            "REDIS_URL",
            redis.url(),
            "NODE_NAME",
            name,
            "WORK_DURATION",
            "1s",
            "RESULT_TTL",
            "10m"));
  }
}
