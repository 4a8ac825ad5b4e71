package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisClusterSet;
import dev.conveyor.testkit.RedisServers;
import dev.conveyor.testkit.SentinelSet;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Conveyor on a real 3-master Redis Cluster (REDIS_CLIENT_TYPE=cluster): every key carries the
 * prefix as a hash tag, so every script runs on the master of that one slot. The seed's
 * walk-through, then 1,000 jobs with 2 workers, each worked and recorded once.
 */
class RedisClusterIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int JOBS = 1_000;

  @Test
  void theSeedWalkthroughAndAThousandJobsOnARedisCluster() throws Exception {
    try (RedisClusterSet cluster = RedisClusterSet.start(3)) {
      Map<String, String> redis =
          Map.of("REDIS_CLIENT_TYPE", "cluster", "REDIS_URL", cluster.url());
      try (Service api = Service.start("api", RedisServers.freePort(), redis)) {
        // the seed's walk-through, with no worker yet: pending
        HttpResponse<String> accepted = api.post("/api/v1/work", "{\"data\":\"foo\"}");
        assertEquals(200, accepted.statusCode(), accepted.body());
        String id = JSON.readTree(accepted.body()).get("callback").asText();
        assertEquals("ACBD18DB4CC2F85CEDEF654FCCC4A4D8", id);
        assertEquals(
            "pending", JSON.readTree(api.get("/api/v1/work/" + id).body()).get("status").asText());
        try (Service w1 = Service.start("worker", RedisServers.freePort(), worker(redis, 1));
            Service w2 = Service.start("worker", RedisServers.freePort(), worker(redis, 2))) {
          JsonNode worked = Endpoint.at(api.port()).awaitStatus(id, "worked");
          assertEquals(3, worked.path("result").path("bytes").asInt(), worked.toString());

          Set<String> ids = new HashSet<>();
          for (int i = 0; i < JOBS; i++) {
            HttpResponse<String> r = api.post("/api/v1/work", "{\"data\":\"cluster " + i + "\"}");
            assertEquals(200, r.statusCode(), r.body());
            ids.add(JSON.readTree(r.body()).get("callback").asText());
          }
          Set<String> waiting = new HashSet<>(ids);
          Awaitility.await("every job worked")
              .atMost(Duration.ofSeconds(60))
              .pollInterval(Duration.ofMillis(200))
              .until(
                  () -> {
                    for (String job : List.copyOf(waiting)) {
                      JsonNode view = JSON.readTree(api.get("/api/v1/work/" + job).body());
                      if (view.path("status").asText().equals("worked")) {
                        waiting.remove(job);
                      }
                    }
                    return waiting.isEmpty();
                  });
          assertEquals(Set.of(), waiting, "jobs not worked within 60 s");
          // recorded once each: the counter of completions = the jobs
          assertEquals(JOBS + 1L, workedCounter(cluster), "completions recorded");
          // both workers took part
          assertTrue(w1.metric("conveyor_jobs_worked_total") > 0, "worker 1 worked");
          assertTrue(w2.metric("conveyor_jobs_worked_total") > 0, "worker 2 worked");
        }
        // one slot: with QUEUE_SHARDS unset every key is on the master that holds {conveyor}
        List<Long> keys = cluster.keysPerMaster();
        assertEquals(1, keys.stream().filter(n -> n > 0).count(), "keys per master " + keys);
        System.out.printf(
            "redis cluster: %d jobs worked on 3 masters with 2 workers; keys per master %s%n",
            JOBS + 1, keys);
      }
    }
  }

  private static long workedCounter(RedisClusterSet cluster) throws IOException {
    for (int port : cluster.ports()) {
      try {
        List<String> reply = SentinelSet.command(port, "HGET", "{conveyor}:stats", "worked");
        return reply.isEmpty() ? 0 : Long.parseLong(reply.get(0));
      } catch (IOException e) {
        // MOVED: another master holds the slot
      }
    }
    throw new IOException("no master holds {conveyor}:stats");
  }

  private static Map<String, String> worker(Map<String, String> redis, int n) {
    Map<String, String> env = new java.util.TreeMap<>(redis);
    env.putAll(
        Map.of(
            "NODE_NAME", "w" + n + "@cluster",
            "WORK_DURATION", "0",
            "WORKER_CONCURRENCY", "8",
            "RESULT_TTL", "30m"));
    return env;
  }
}
