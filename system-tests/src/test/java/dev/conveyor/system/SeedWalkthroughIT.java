package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * The seed README's curl walk-through against the packaged api and worker, each a real process,
 * over a real Redis: accepted → pending → working → worked → 404, and a worker that drains on
 * SIGTERM and exits 0.
 */
class SeedWalkthroughIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FOO = "ACBD18DB4CC2F85CEDEF654FCCC4A4D8";

  private static JsonNode json(String body) throws IOException {
    return JSON.readTree(body);
  }

  private static String status(Service api, String id) throws IOException {
    var response = api.get("/api/v1/work/" + id);
    return json(response.body()).get("status").asText();
  }

  @Test
  void aJobGoesPendingWorkingWorkedThenNotFoundAcrossRealProcesses() throws Exception {
    try (RedisServer redis = RedisServers.start("s3cret");
        Service api =
            Service.start(
                "api",
                RedisServers.freePort(),
                Map.of("REDIS_URL", redis.url(), "NODE_NAME", "api@walkthrough"))) {
      var accepted = api.post("/api/v1/work", "{\"data\":\"foo\"}");
      assertEquals(200, accepted.statusCode());
      // the seed's four fields, in its order, byte for byte; then the job's cancel token
      String seed =
          "{\"accepted_by\":\"api@walkthrough\",\"callback\":\""
              + FOO
              + "\",\"data\":\"foo\",\"status\":\"accepted\"";
      assertTrue(
          accepted
              .body()
              .matches(java.util.regex.Pattern.quote(seed) + ",\"cancel_token\":\"[0-9a-f]{32}\"}"),
          accepted.body());
      assertEquals("pending", status(api, FOO), "no worker yet: it waits in the queue");

      List<String> seen = new ArrayList<>(List.of("pending"));
      try (Service worker =
          Service.start(
              "worker",
              RedisServers.freePort(),
              Map.of("REDIS_URL", redis.url(), "WORK_DURATION", "1s", "RESULT_TTL", "2s"))) {
        Awaitility.await()
            .atMost(Duration.ofSeconds(15))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> {
                  String now = status(api, FOO);
                  if (seen.isEmpty() || !seen.getLast().equals(now)) {
                    seen.add(now);
                  }
                  return now.equals("worked");
                });
        JsonNode worked = json(api.get("/api/v1/work/" + FOO).body());
        assertTrue(worked.get("worked_by").asText().startsWith("worker-"), worked.toString());
        assertEquals(3, worked.get("result").get("bytes").asInt());
        // both services count what they did, for Prometheus
        String workerMetrics = worker.get("/q/metrics").body();
        assertTrue(workerMetrics.contains("conveyor_jobs_worked_total 1.0"), workerMetrics);
        assertTrue(
            workerMetrics.contains("conveyor_handler_duration_seconds_bucket"), workerMetrics);
        assertTrue(workerMetrics.contains("conveyor_cluster_size 1.0"), workerMetrics);
        // the job was waiting when the worker started: one blocking pop, one claim
        assertTrue(
            workerMetrics.contains("conveyor_claim_latency_seconds_count 1.0"), workerMetrics);
        assertTrue(
            workerMetrics.lines().anyMatch(l -> l.matches("conveyor_jobs_in_flight\\{.*} 0\\.0")),
            workerMetrics);
        assertTrue(workerMetrics.contains("conveyor_jobs_fenced_total 0.0"), workerMetrics);
        assertTrue(workerMetrics.contains("conveyor_redis_errors_total 0.0"), workerMetrics);
        assertTrue(
            api.get("/q/metrics").body().contains("conveyor_jobs_accepted_total 1.0"),
            "the api counts what it accepted");
        assertEquals(
            1.0, api.metric("conveyor_submit_batch_size_count"), "one submit call to Redis");
        assertEquals(1.0, api.metric("conveyor_submit_batch_size_sum"), "of one job");
        assertEquals(200, api.get("/q/openapi").statusCode());
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> api.get("/api/v1/work/" + FOO).statusCode() == 404);
        assertEquals(
            json("{\"status\":\"404. not found!\"}"), json(api.get("/api/v1/work/" + FOO).body()));
      }
      assertEquals(List.of("pending", "working", "worked"), seen);
    }
  }

  @Test
  void aWorkerFinishesItsJobOnSigtermAndExitsZero() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()));
        Service worker =
            Service.start(
                "worker",
                RedisServers.freePort(),
                Map.of(
                    "REDIS_URL", redis.url(), "WORK_DURATION", "2s", "NODE_NAME", "worker-1@it"))) {
      String id =
          json(api.post("/api/v1/work", "{\"data\":\"drain me\"}").body()).get("callback").asText();
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> status(api, id).equals("working"));
      assertEquals(0, worker.terminate(Duration.ofSeconds(20)), worker.log());
      JsonNode job = json(api.get("/api/v1/work/" + id).body());
      assertEquals("worked", job.get("status").asText(), job.toString());
      assertEquals("worker-1@it", job.get("worked_by").asText());
      assertEquals(0, api.terminate(Duration.ofSeconds(20)), "the api exits 0 on SIGTERM too");
    }
  }
}
