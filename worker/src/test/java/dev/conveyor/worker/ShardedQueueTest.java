package dev.conveyor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.CallbackId;
import dev.conveyor.core.QueueStats;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.Shards;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A queue spread over three shards (QUEUE_SHARDS=3) of one real Redis: the workers claim from every
 * shard, each job once, and a lost worker's jobs come back from every shard.
 */
@ExtendWith(RedisExtension.class)
class ShardedQueueTest {

  private static final int SHARDS = 3;

  private static QueueStats.Snapshot stats(Workers workers) {
    return workers.store().stats().snapshot().await().atMost(Workers.TIMEOUT);
  }

  @Test
  void twoWorkersWorkEveryJobOfEveryShardOnce(TestRedis redis) {
    Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    try (Workers workers = new Workers(redis, SHARDS)) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 900; i++) {
        ids.add(workers.submit("sharded-" + i));
      }
      Shards shards = workers.queue.shards();
      for (int s = 0; s < SHARDS; s++) {
        long queued = redis.call("LLEN", shards.get(s).queue()).toLong();
        assertTrue(queued > 200, "shard " + s + " holds a share of the jobs: " + queued);
      }
      assertEquals(900, stats(workers).pending());
      for (String node : List.of("w1@test", "w2@test")) {
        workers.start(
            node,
            4,
            job -> {
              executions.computeIfAbsent(job.id(), k -> new AtomicInteger()).incrementAndGet();
              return Map.of("ok", true);
            });
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> stats(workers).counter("worked") == 900);

      assertEquals(900, executions.size(), "every job was worked");
      executions.forEach((id, n) -> assertEquals(1, n.get(), "job " + id + " worked once"));
      for (String id : ids) {
        assertEquals("worked", workers.status(id));
      }
      QueueStats.Snapshot after = stats(workers);
      assertEquals(List.of(0L, 0L, 0L), after.pendingByShard());
      assertEquals(900, after.counter("accepted"));
      for (RedisKeys shard : shards.all()) {
        assertTrue(
            redis.call("HGET", shard.stats(), "worked").toLong() > 200,
            "each shard's jobs were worked there");
        for (String node : List.of("w1@test", "w2@test")) {
          assertEquals(0, redis.call("LLEN", shard.processing(node)).toInteger());
        }
      }
    }
  }

  @Test
  void anIdleWorkerWakesForAJobOnAnyShard(TestRedis redis) {
    try (Workers workers = new Workers(redis, SHARDS)) {
      Set<String> worked = ConcurrentHashMap.newKeySet();
      workers.start(
          "idle@test",
          1,
          job -> {
            worked.add(job.id());
            return Map.of();
          });
      // the worker finds the queues empty and waits on every shard's mark (a blocked BZPOPMIN
      // each), renewed every CLAIM_WAIT (200 ms here): each job below meets a wait under way
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> blockedClients(redis) >= SHARDS);
      Set<Integer> shardsSeen = new HashSet<>();
      for (int i = 0; shardsSeen.size() < SHARDS; i++) {
        String id = workers.submit("wake-" + i);
        shardsSeen.add(workers.queue.shards().indexOf(id));
        long since = System.nanoTime();
        Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> worked.contains(id));
        long ms = (System.nanoTime() - since) / 1_000_000;
        // CLAIM_WAIT is 200 ms here: a job found by the wait's timeout would take up to that
        assertTrue(ms < 150, "job on shard " + workers.queue.shards().indexOf(id) + ": " + ms);
      }
    }
  }

  private static int blockedClients(TestRedis redis) {
    for (String line : redis.call("INFO", "clients").toString().split("\r?\n")) {
      if (line.startsWith("blocked_clients:")) {
        return Integer.parseInt(line.substring("blocked_clients:".length()).trim());
      }
    }
    return 0;
  }

  @Test
  void aKilledWorkersJobsComeBackFromEveryShard(TestRedis redis) throws Exception {
    try (Workers workers = new Workers(redis, SHARDS)) {
      CountDownLatch never = new CountDownLatch(1);
      Map<String, AtomicInteger> survivorRuns = new ConcurrentHashMap<>();
      Workers.Node janitor =
          workers.startNode(
              "janitor",
              Duration.ofMillis(500),
              job -> {
                survivorRuns.computeIfAbsent(job.id(), k -> new AtomicInteger()).incrementAndGet();
                return Map.of();
              });
      janitor.worker().pause();
      Workers.Node victim =
          workers.startNode(
              "victim",
              Duration.ofMillis(500),
              SHARDS,
              job -> {
                never.await();
                return Map.of();
              });
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> janitor.cluster().members().size() == 2);
      // the victim takes one job of each shard, one after the other
      Shards shards = workers.queue.shards();
      List<String> ids = new ArrayList<>();
      for (int shard = 0, i = 0; shard < SHARDS; i++) {
        if (shards.indexOf(CallbackId.of("held-" + i)) != shard) {
          continue;
        }
        String id = workers.submit("held-" + i);
        ids.add(id);
        Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> "working".equals(workers.status(id)));
        shard++;
      }
      for (int shard = 0; shard < SHARDS; shard++) {
        assertEquals(1, redis.list(shards.get(shard).processing("victim")).size());
      }
      workers.kill(victim);
      janitor.worker().resume();
      Awaitility.await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> ids.stream().allMatch(id -> "worked".equals(workers.status(id))));
      ids.forEach(id -> assertEquals(1, survivorRuns.get(id).get(), id + " worked once"));
      for (RedisKeys shard : shards.all()) {
        assertEquals(List.of(), redis.list(shard.processing("victim")));
        assertEquals(0, redis.call("SISMEMBER", shard.workers(), "victim").toInteger());
      }
      assertEquals(SHARDS, stats(workers).counter("recovered"), "each shard's job recovered");
    }
  }
}
