package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.SentinelSet;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * REDIS_WAIT_REPLICAS against a real primary and replica: a submission and a completion count once
 * the replica has them, and fewer confirmations than asked within the time limit is a storage
 * failure (the api's 503), not a success.
 */
class DurabilityContractTest {

  private static final Duration LIMIT = Duration.ofSeconds(5);

  @Test
  void writesCountOnlyOnceTheReplicasHaveThem() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (SentinelSet set = SentinelSet.start(1)) {
      int primary = set.masterPort();
      int replica =
          set.servers().stream().mapToInt(SentinelSet.Node::port).filter(p -> p != primary).sum();
      Redis client =
          Redis.createClient(
              vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:" + primary));
      RedisKeys keys = new RedisKeys("durable");
      JobQueue one =
          new Store(client, keys, LIMIT, new Durability(1, Duration.ofMillis(250))).queue();
      JobQueue two =
          new Store(client, keys, LIMIT, new Durability(2, Duration.ofMillis(250))).queue();

      // acknowledged: the replica has the job the moment the call returns
      assertTrue(one.submit("A", "a", "api@durable").await().atMost(LIMIT).queued());
      assertEquals(
          List.of("pending"), SentinelSet.command(replica, "HGET", keys.job("A"), "status"));
      ClaimedJob job =
          one.claimOne(JobSpec.DEFAULT_TYPE, "w1", "lease").await().atMost(LIMIT).orElseThrow();
      assertTrue(one.complete(job, "w1", "{}", Duration.ofMinutes(1)).await().atMost(LIMIT));
      assertEquals(
          List.of("worked"), SentinelSet.command(replica, "HGET", keys.job("A"), "status"));

      // two replicas asked, one exists: not confirmed in time, so not acknowledged
      long start = System.nanoTime();
      StorageUnavailableException refused =
          assertThrows(
              StorageUnavailableException.class,
              () -> two.submit("B", "b", "api@durable").await().atMost(LIMIT));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(refused.getMessage().contains("1 of REDIS_WAIT_REPLICAS=2"), refused.getMessage());
      assertTrue(ms >= 200 && ms < 3_000, "waited REDIS_WAIT_TIMEOUT: " + ms + " ms");

      // the replica gone: nothing is confirmed; asked again, the job is not queued twice
      set.kill(replica);
      assertThrows(
          StorageUnavailableException.class,
          () -> one.submit("C", "c", "api@durable").await().atMost(LIMIT));
      assertThrows(
          StorageUnavailableException.class,
          () -> one.submit("C", "c", "api@durable").await().atMost(LIMIT));
      // (the primary has B and C: what was refused may still be there, never twice)
      assertEquals(
          "2", SentinelSet.command(primary, "LLEN", keys.queue()).get(0), "B and C, each once");
    } finally {
      vertx.closeAndAwait();
    }
  }
}
