package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
 * Three clustered worker processes and one job: the worker named in the job's {@code worker} field
 * is killed with SIGKILL in the middle of it; the coordinator's janitor puts the job back and
 * another worker finishes it. Prints the time from the kill to the re-claim.
 */
class KilledWorkerIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode job(Service api, String id) throws IOException {
    return JSON.readTree(api.get("/api/v1/work/" + id).body());
  }

  @Test
  void aJobOfAWorkerKilledMidJobIsFinishedByAnotherWorker() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()))) {
      List<Service> workers = new ArrayList<>();
      try {
        for (String name : List.of("w1", "w2", "w3")) {
          workers.add(
              Service.start(
                  "worker",
                  RedisServers.freePort(),
                  Map.of("REDIS_URL", redis.url(), "NODE_NAME", name, "WORK_DURATION", "5s")));
        }
        Awaitility.await("one view of three")
            .atMost(Duration.ofSeconds(10))
            .until(() -> workers.getFirst().log().contains("[w1, w2, w3]"));

        String id =
            JSON.readTree(api.post("/api/v1/work", "{\"data\":\"killed mid-job\"}").body())
                .get("callback")
                .asText();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> job(api, id).has("worker"));
        String victim = job(api, id).get("worker").asText();
        Service victimProcess = workers.get(List.of("w1", "w2", "w3").indexOf(victim));

        long killedAt = System.nanoTime();
        victimProcess.kill();
        Awaitility.await("re-claimed by another worker")
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(20))
            .until(
                () -> {
                  JsonNode now = job(api, id);
                  return now.has("worker") && !victim.equals(now.get("worker").asText());
                });
        long reclaimMs = (System.nanoTime() - killedAt) / 1_000_000;
        System.out.printf("kill -9 of %s -> job re-claimed in %d ms%n", victim, reclaimMs);

        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> "worked".equals(job(api, id).get("status").asText()));
        JsonNode done = job(api, id);
        assertEquals(2, done.get("attempts").asInt(), done.toString());
        assertNotEquals(victim, done.get("worked_by").asText(), done.toString());
        // the survivor whose janitor put the job back counts it, for Prometheus
        double recovered = 0;
        for (Service survivor : workers) {
          if (survivor != victimProcess) {
            recovered += survivor.metric("conveyor_jobs_recovered_total");
          }
        }
        assertEquals(1.0, recovered, "conveyor_jobs_recovered_total over the survivors");
      } finally {
        workers.forEach(Service::close);
      }
    }
  }
}
