package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Durability of accepted work: with AOF and {@code appendfsync always}, every job the API answered
 * 200 for survives a SIGKILL of Redis, and is then worked.
 */
class DurabilityIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int JOBS = 500;

  private static String status(Service api, String id) throws IOException {
    return JSON.readTree(api.get("/api/v1/work/" + id).body()).get("status").asText();
  }

  @Test
  void everyAcceptedJobSurvivesASigkillOfRedisAndIsThenWorked() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()))) {
      List<String> accepted = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < JOBS; i++) {
        var response = api.post("/api/v1/work", "{\"data\":\"durable " + i + "\"}");
        assertEquals(200, response.statusCode(), response.body());
        accepted.add(JSON.readTree(response.body()).get("callback").asText());
      }

      long submitted = System.nanoTime();
      System.out.printf("%d jobs accepted in %d ms%n", JOBS, (submitted - start) / 1_000_000);
      redis.kill(); // SIGKILL right after the last 200: nothing had time to be flushed later
      assertEquals(503, api.get("/api/v1/work/" + accepted.getFirst()).statusCode());
      redis.restart();
      long restarted = System.nanoTime();
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> api.get("/api/v1/work/" + accepted.getLast()).statusCode() == 200);
      System.out.printf(
          "api answers %d ms after Redis restarted%n", (System.nanoTime() - restarted) / 1_000_000);
      for (String id : accepted) {
        assertEquals("pending", status(api, id), id);
      }

      try (Service worker =
          Service.start(
              "worker",
              RedisServers.freePort(),
              Map.of(
                  "REDIS_URL",
                  redis.url(),
                  "WORK_DURATION",
                  "0s",
                  "WORKER_CONCURRENCY",
                  "4",
                  "RESULT_TTL",
                  "5m"))) {
        long workerStart = System.nanoTime();
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(250))
            .until(
                () -> {
                  for (String id : accepted) {
                    if (!"worked".equals(status(api, id))) {
                      return false;
                    }
                  }
                  return true;
                });
        System.out.printf(
            "all worked %d ms after the worker started%n",
            (System.nanoTime() - workerStart) / 1_000_000);
      }
    }
  }
}
