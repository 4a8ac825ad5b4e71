package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * QUEUE_SHARDS: the shards' names and slots, and the store's calls over three shards of a real
 * Redis (each job on its id's shard, the counts and lists added up).
 */
@ExtendWith(RedisExtension.class)
class ShardsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private static <T> T await(Uni<T> uni) {
    return uni.await().atMost(Duration.ofSeconds(5));
  }

  private static Store store(TestRedis redis, int shards) {
    return new Store(
        redis.client(), Shards.of(redis.prefix(), shards, false), TIMEOUT, Durability.NONE);
  }

  @Test
  void slotsAreRedisClusterKeySlots() {
    // the examples of Redis' CLUSTER KEYSLOT documentation
    assertEquals(11058, Shards.slot("somekey"));
    assertEquals(2515, Shards.slot("foo{hash_tag}"));
    assertEquals(2515, Shards.slot("bar{hash_tag}"));
    assertEquals(12182, Shards.slot("foo"));
    assertEquals(Shards.slot("{}x"), Shards.slot("{}x"), "an empty tag hashes the whole key");
    assertNotEquals(Shards.slot("{}a"), Shards.slot("{}b"));
  }

  @Test
  void oneShardIsTheUnshardedLayout() {
    Shards one = Shards.of("conveyor", 1, false);
    assertEquals(1, one.count());
    assertEquals("conveyor:queue", one.base().queue());
    assertEquals("conveyor:job:ABC", one.of("ABC").job("ABC"));
    assertEquals("{conveyor}:queue", Shards.of("conveyor", 1, true).base().queue());
  }

  @Test
  void eachOfNShardsLiesInItsOwnNthOfTheSlotsOnACluster() {
    for (int n = 2; n <= 16; n++) {
      Shards shards = Shards.of("conveyor", n, true);
      assertEquals("{conveyor}:queue", shards.base().queue(), "shard 0 keeps the base names");
      Set<Integer> ranges = new HashSet<>();
      for (RedisKeys keys : shards.all()) {
        int slot = Shards.slot(keys.queue());
        assertEquals(slot, Shards.slot(keys.job("ANY")), "a shard's keys share its slot");
        assertEquals(slot, Shards.slot(keys.processing("w1")));
        ranges.add(slot * n / Shards.SLOTS);
      }
      assertEquals(n, ranges.size(), n + " shards, one per " + n + "th of the slots");
    }
  }

  @Test
  void theSharedKeysAreTheBasesOnEveryShard() {
    Shards shards = Shards.of("conveyor", 3, true);
    RedisKeys other = shards.get(2);
    assertEquals("{conveyor}:ledger", other.ledger());
    assertEquals("{conveyor}:node:w1", other.node("w1"));
    assertEquals("{conveyor}:janitor", other.janitor());
    assertEquals("{conveyor}:events", other.events());
    assertEquals("{conveyor}:cancels:w1", other.cancels("w1"));
    assertTrue(other.queue().startsWith("{conveyor:2"), other.queue());
  }

  @Test
  void jobsSpreadEvenlyAndAnIdAlwaysPicksTheSameShard() {
    Shards shards = Shards.of("conveyor", 3, false);
    int[] counts = new int[3];
    for (int i = 0; i < 3_000; i++) {
      String id = CallbackId.of("data " + i);
      counts[shards.indexOf(id)]++;
      assertEquals(shards.indexOf(id), shards.indexOf(id));
    }
    for (int count : counts) {
      assertTrue(count > 900 && count < 1_100, "about a third each: " + List.of(counts));
    }
    assertEquals(0, Shards.of("conveyor", 1, false).indexOf("ANY"));
    assertThrows(IllegalArgumentException.class, () -> Shards.of("conveyor", 0, false));
  }

  @Test
  void oneSubmitCallOverThreeShardsAnswersInOrderAndEachJobIsFoundOnItsShard(TestRedis redis) {
    Store store = store(redis, 3);
    JobQueue queue = store.queue();
    List<JobQueue.Work> jobs = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      jobs.add(new JobQueue.Work(CallbackId.of("job " + i), "job " + i));
    }
    jobs.add(jobs.get(4)); // the same job twice in one call: queued once
    List<JobQueue.Submission> answers = await(queue.submit(jobs, "api-1"));
    assertEquals(31, answers.size());
    for (int i = 0; i < 30; i++) {
      assertTrue(answers.get(i).queued(), "job " + i);
    }
    assertEquals(false, answers.get(30).queued());
    assertEquals("api-1", answers.get(30).acceptedBy());
    Shards shards = queue.shards();
    for (JobQueue.Work job : jobs) {
      RedisKeys own = shards.of(job.id());
      assertEquals(job.data(), redis.call("HGET", own.job(job.id()), "data").toString());
      assertEquals(JobStatus.PENDING, await(queue.find(job.id())).orElseThrow().status(), job.id());
    }
    List<Optional<JobStatus>> statuses =
        await(queue.statuses(List.of(jobs.get(0).id(), "NOSUCHJOB", jobs.get(1).id())));
    assertEquals(
        List.of(Optional.of(JobStatus.PENDING), Optional.empty(), Optional.of(JobStatus.PENDING)),
        statuses);
    // posted again later: a duplicate, answered from its own shard
    JobQueue.Submission again = await(queue.submit(jobs.get(7), "api-2"));
    assertEquals(false, again.queued());
    assertEquals("api-1", again.acceptedBy());

    QueueStats.Snapshot stats = await(store.stats().snapshot());
    assertEquals(30, stats.pending());
    assertEquals(30, stats.pendingByShard().stream().mapToLong(Long::longValue).sum());
    stats.pendingByShard().forEach(n -> assertTrue(n > 0, "every shard holds some"));
    assertEquals(30, stats.counter("accepted"));
    assertEquals(2, stats.counter("deduplicated"));
    assertEquals(30, await(store.overview().look()).recent().size(), "recent of every shard");
  }

  @Test
  void claimsCompletionsFailuresAndCancelsGoToEachJobsShard(TestRedis redis) {
    Store store = store(redis, 3);
    JobQueue queue = store.queue();
    Shards shards = queue.shards();
    List<ClaimedJob> claimed = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String id = CallbackId.of("c" + i);
      ids.add(id);
      await(queue.submit(id, "c" + i, "api"));
    }
    for (int s = 0; s < 3; s++) {
      List<ClaimedJob> some =
          await(queue.claim(s, JobSpec.DEFAULT_TYPE, "w1", 64, "L" + s, false, Duration.ZERO));
      some.forEach(job -> assertEquals(shards.indexOf(job.id()), shards.indexOf(job.id())));
      assertEquals(redis.list(shards.get(s).processing("w1")).size(), some.size());
      claimed.addAll(some);
    }
    assertEquals(12, claimed.size(), "every shard's jobs claimed from it");
    // one completion call with jobs of every shard
    List<JobQueue.Completion> done = new ArrayList<>();
    for (ClaimedJob job : claimed.subList(0, 8)) {
      done.add(new JobQueue.Completion(job, "{\"ok\":true}"));
    }
    assertEquals(
        java.util.Collections.nCopies(8, JobQueue.CompleteOutcome.RECORDED),
        await(queue.complete(done, "w1", Duration.ofMinutes(1))));
    ClaimedJob failing = claimed.get(8);
    assertEquals(
        JobQueue.FailOutcome.FAILED,
        await(
            queue.fail(
                failing,
                "w1",
                "boom",
                new RetryPolicy(1, Duration.ZERO, Duration.ofMinutes(5), 100, 3))));
    assertEquals(
        List.of(failing.id()), redis.list(shards.of(failing.id()).deadLetters()), "its dead list");
    assertTrue(await(store.deadLetters().requeue(failing.id())));
    assertEquals(JobStatus.PENDING, await(queue.find(failing.id())).orElseThrow().status());
    ClaimedJob cancelled = claimed.get(9);
    JobQueue.Cancellation c = await(queue.cancel(cancelled.id(), Duration.ofMinutes(1)));
    assertEquals(Optional.of(JobStatus.WORKING), c.before());
    assertEquals(Optional.of("w1"), c.worker());
    // the worker stops: what it still holds, on every shard, goes back
    JobRecovery.Outcome retired = await(store.recovery().retire("w1", RetryPolicy.DEFAULT));
    assertEquals(2, retired.requeued(), "the two it still held (the cancelled one is dropped)");
    for (RedisKeys keys : shards.all()) {
      assertEquals(List.of(), redis.list(keys.processing("w1")));
    }
    QueueStats.Snapshot stats = await(store.stats().snapshot());
    assertEquals(8, stats.counter("worked"));
    assertEquals(3, stats.pending(), "the requeued failure and the two put back");
  }

  @Test
  void dueJobsOfEveryShardArePromoted(TestRedis redis) {
    Store store = store(redis, 3);
    JobQueue queue = store.queue();
    for (int i = 0; i < 12; i++) {
      String data = "later " + i;
      await(
          queue.submit(
              new JobQueue.Work(CallbackId.of(data), data, new JobSpec(null, null, 1L, null, null)),
              "api"));
    }
    assertEquals(12, await(store.stats().snapshot()).delayed());
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              await(queue.promoteDue(100));
              return queueDepth(store) == 12;
            });
    assertEquals(12, queueDepth(store));
    assertEquals(0, await(store.stats().snapshot()).delayed());
  }

  private static long queueDepth(Store store) {
    return await(store.stats().snapshot()).pending();
  }
}
