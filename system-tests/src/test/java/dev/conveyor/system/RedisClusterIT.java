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
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Conveyor on a real Redis Cluster (REDIS_CLIENT_TYPE=cluster) of 3 masters with 2 replicas each
 * (so that a master that took over still has a replica to WAIT for), the queue spread over them
 * (QUEUE_SHARDS=3, each shard a hash tag in its own third of the slots): the seed's walk-through,
 * 1,000 jobs with 2 workers each worked and recorded once with jobs on every master, then a master
 * SIGKILLed under a steady client with REDIS_WAIT_REPLICAS=1: its replica takes over and every job
 * answered 200 is there and worked, none recorded twice.
 */
class RedisClusterIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int JOBS = 1_000;
  private static final Duration REDIS_TIMEOUT = Duration.ofMillis(500);

  @Test
  void aQueueOverThreeMastersWorksEveryJobOnceAndSurvivesAMasterFailover() throws Exception {
    try (RedisClusterSet cluster = RedisClusterSet.start(3, 2)) {
      Map<String, String> redis =
          Map.of(
              "REDIS_CLIENT_TYPE", "cluster",
              "REDIS_URL", cluster.url(),
              "QUEUE_SHARDS", "3",
              "REDIS_WAIT_REPLICAS", "1",
              "REDIS_WAIT_TIMEOUT", "250ms",
              "REDIS_TIMEOUT", REDIS_TIMEOUT.toMillis() + "ms");
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
          // a held GET hears the result on the events channel, published by another master
          for (int i = 0; i < 3; i++) {
            HttpResponse<String> posted = api.post("/api/v1/work", "{\"data\":\"held " + i + "\"}");
            String held = JSON.readTree(posted.body()).get("callback").asText();
            JsonNode view = JSON.readTree(api.get("/api/v1/work/" + held + "?wait=10s").body());
            assertEquals("worked", view.path("status").asText(), view.toString());
          }

          Set<String> ids = new HashSet<>();
          for (int i = 0; i < JOBS; i++) {
            HttpResponse<String> r = api.post("/api/v1/work", "{\"data\":\"cluster " + i + "\"}");
            assertEquals(200, r.statusCode(), r.body());
            ids.add(JSON.readTree(r.body()).get("callback").asText());
          }
          awaitWorked(api, ids, Duration.ofSeconds(60));
          assertEquals(JOBS + 4L, counter(cluster, "worked"), "completions recorded");
          assertTrue(w1.metric("conveyor_jobs_worked_total") > 0, "worker 1 worked");
          assertTrue(w2.metric("conveyor_jobs_worked_total") > 0, "worker 2 worked");
          Map<Integer, Integer> jobsPerMaster = jobsPerMaster(cluster);
          assertEquals(3, jobsPerMaster.size(), "jobs on every master: " + jobsPerMaster);
          jobsPerMaster.values().forEach(n -> assertTrue(n > 200, "jobs " + jobsPerMaster));
          System.out.printf(
              "redis cluster, QUEUE_SHARDS=3: %d jobs worked with 2 workers; jobs per master %s%n",
              JOBS + 4, jobsPerMaster);

          failover(cluster, api, List.of(api, w1, w2));
        }
      }
    }
  }

  /**
   * A client posts steadily; a master that holds a shard, not the shared keys', is SIGKILLed; its
   * replica takes over. Every job answered 200 is worked, and recorded once.
   */
  private static void failover(RedisClusterSet cluster, Service api, List<Service> all)
      throws Exception {
    SteadyClient client = SteadyClient.start(api, "failover");
    Thread.sleep(3_000); // the load, before the kill
    int shared = masterOf(cluster, "{conveyor}:stats");
    int victim =
        cluster.masters().keySet().stream().filter(p -> p != shared).findFirst().orElseThrow();
    Instant killedAt = Instant.now();
    cluster.kill(victim);
    int promoted = cluster.awaitFailoverFrom(victim, Duration.ofSeconds(30));
    long failoverMs = Duration.between(killedAt, Instant.now()).toMillis();
    Thread.sleep(4_000); // the load goes on after the failover
    client.stop();

    awaitWorked(api, client.acknowledged(), Duration.ofSeconds(60));
    long storedWorked = storedWorked(cluster);
    long recorded = counter(cluster, "worked");
    long firstOkMs = client.recoveredAfter(killedAt).map(Duration::toMillis).orElse(-1L);
    System.out.printf(
        "redis cluster failover (QUEUE_SHARDS=3, REDIS_WAIT_REPLICAS=1): master %d killed, replica"
            + " %d promoted after %d ms, 200s again on every shard after %d ms; client answers %s,"
            + " slowest %d ms; %d acknowledged, all worked; worked %d, recorded %d%n",
        victim,
        promoted,
        failoverMs,
        firstOkMs,
        client.statuses(),
        client.slowestMs(),
        client.acknowledged().size(),
        storedWorked,
        recorded);
    for (SteadyClient.Answer answer : client.answers()) {
      assertTrue(answer.status() == 200 || answer.status() == 503, "only 200 and 503: " + answer);
      assertTrue(answer.ms() < REDIS_TIMEOUT.toMillis() + 1_000, "answered slowly: " + answer);
    }
    assertEquals(storedWorked, recorded, "completions recorded twice (or not at all)");
    all.forEach(s -> assertTrue(s.alive(), "no process exited"));
  }

  private static void awaitWorked(Service api, Set<String> ids, Duration limit) {
    Set<String> waiting = ConcurrentHashMap.newKeySet();
    waiting.addAll(ids);
    Set<String> missing = ConcurrentHashMap.newKeySet();
    Awaitility.await("every job worked")
        .atMost(limit)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              for (String job : List.copyOf(waiting)) {
                HttpResponse<String> view = api.get("/api/v1/work/" + job);
                if (view.statusCode() == 404) {
                  missing.add(job);
                  waiting.remove(job);
                } else if (JSON.readTree(view.body()).path("status").asText().equals("worked")) {
                  waiting.remove(job);
                }
              }
              return waiting.isEmpty();
            });
    assertEquals(Set.of(), missing, "acknowledged jobs lost");
  }

  /** The live master that holds this key's slot. */
  private static int masterOf(RedisClusterSet cluster, String key) throws IOException {
    int slot =
        Integer.parseInt(
            SentinelSet.command(cluster.masters().firstKey(), "CLUSTER", "KEYSLOT", key).get(0));
    int owner = -1;
    for (Map.Entry<Integer, Integer> m : cluster.masters().entrySet()) {
      if (m.getValue() <= slot) {
        owner = m.getKey();
      }
    }
    return owner;
  }

  /** A counter of the stats hashes, added up over the shards (every master's). */
  private static long counter(RedisClusterSet cluster, String name) throws IOException {
    long sum = 0;
    for (int port : cluster.masters().keySet()) {
      for (String key : SentinelSet.command(port, "KEYS", "*:stats")) {
        List<String> value = SentinelSet.command(port, "HGET", key, name);
        sum += value.isEmpty() ? 0 : Long.parseLong(value.get(0));
      }
    }
    return sum;
  }

  /** Job hashes per master (by port), masters without any left out. */
  private static Map<Integer, Integer> jobsPerMaster(RedisClusterSet cluster) throws IOException {
    Map<Integer, Integer> counts = new TreeMap<>();
    for (int port : cluster.masters().keySet()) {
      int n = SentinelSet.command(port, "KEYS", "*:job:*").size();
      if (n > 0) {
        counts.put(port, n);
      }
    }
    return counts;
  }

  /** The jobs stored as worked, on every master. */
  private static long storedWorked(RedisClusterSet cluster) throws IOException {
    long worked = 0;
    for (int port : cluster.masters().keySet()) {
      for (String key : SentinelSet.command(port, "KEYS", "*:job:*")) {
        if (SentinelSet.command(port, "HGET", key, "status").equals(List.of("worked"))) {
          worked++;
        }
      }
    }
    return worked;
  }

  private static Map<String, String> worker(Map<String, String> redis, int n) {
    Map<String, String> env = new TreeMap<>(redis);
    env.putAll(
        Map.of(
            "NODE_NAME", "w" + n + "@cluster",
            "WORK_DURATION", "0",
            "WORKER_CONCURRENCY", "8",
            "RESULT_TTL", "30m"));
    return env;
  }
}
