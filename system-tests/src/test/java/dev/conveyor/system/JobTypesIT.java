package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the guide (docs/your-own-work.md) promises, through HAProxy to the packaged api and worker
 * as real processes: checksum and wordcount jobs are worked by their own handlers, a delayed job
 * waits pending with its run_at and runs once due, and a job of a type no worker serves says so.
 */
class JobTypesIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String body) throws IOException {
    return JSON.readTree(body);
  }

  @Test
  void typedAndDelayedJobsThroughHaproxyAreWorkedByTheirOwnHandlers() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()));
        Haproxy lb = Haproxy.start(RedisServers.freePort(), List.of(api.port()));
        Service worker =
            Service.start(
                "worker",
                RedisServers.freePort(),
                Map.of(
                    "REDIS_URL",
                    redis.url(),
                    "WORK_DURATION",
                    "0s",
                    "WORKER_CONCURRENCY_CHECKSUM",
                    "4"))) {
      Endpoint through = Endpoint.at(lb.port());
      JsonNode accepted =
          json(through.post("/api/v1/work", "{\"data\":\"hello\",\"type\":\"checksum\"}").body());
      assertEquals("checksum", accepted.get("type").asText(), accepted.toString());
      String sum = accepted.get("callback").asText();
      JsonNode worked = through.awaitStatus(sum, "worked");
      assertEquals(
          "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
          worked.get("result").get("sha256").asText());
      assertEquals("checksum", worked.get("type").asText());

      String counted =
          json(through
                  .post("/api/v1/work", "{\"data\":\"one two\\nthree\",\"type\":\"wordcount\"}")
                  .body())
              .get("callback")
              .asText();
      assertEquals(
          "{\"lines\":2,\"words\":3,\"chars\":13}",
          through.awaitStatus(counted, "worked").get("result").toString());

      JsonNode later =
          json(through.post("/api/v1/work", "{\"data\":\"later\",\"delay\":\"2s\"}").body());
      String laterId = later.get("callback").asText();
      JsonNode waiting = json(through.get("/api/v1/work/" + laterId).body());
      assertEquals("pending", waiting.get("status").asText(), waiting.toString());
      Instant runAt = Instant.parse(waiting.get("run_at").asText());
      JsonNode ran = through.awaitStatus(laterId, "worked");
      Instant started = Instant.parse(ran.get("started_at").asText());
      assertTrue(!started.isBefore(runAt), "started " + started + ", due " + runAt);
      System.out.printf(
          "[job-types] a delayed job started %d ms after its run_at%n",
          Duration.between(runAt, started).toMillis());

      String orphan =
          json(through.post("/api/v1/work", "{\"data\":\"x\",\"type\":\"resize\"}").body())
              .get("callback")
              .asText();
      JsonNode stuck = json(through.get("/api/v1/work/" + orphan).body());
      assertEquals(
          "waiting for a worker of type resize: no running worker serves it",
          stuck.get("note").asText(),
          stuck.toString());
      String metrics = worker.get("/q/metrics").body();
      assertTrue(
          metrics
              .lines()
              .anyMatch(l -> l.matches("conveyor_jobs_in_flight\\{.*type=\"checksum\".*")),
          metrics);
    }
  }
}
