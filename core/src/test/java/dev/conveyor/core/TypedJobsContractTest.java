package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The scripts' contract for job types, priorities and delayed jobs, against a real Redis: each type
 * and priority has its own queue, claims take high before normal before low and never another
 * type's jobs, a normal or low job that waited too long goes first, and delayed jobs wait in the
 * delayed set until promoted to their own queue.
 */
@ExtendWith(RedisExtension.class)
class TypedJobsContractTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final RetryPolicy NO_BACKOFF =
      new RetryPolicy(3, Duration.ZERO, Duration.ofMinutes(1), 100, 3);

  private static Store store(TestRedis redis) {
    return new Store(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT);
  }

  private static <T> T await(Uni<T> uni) {
    return uni.await().atMost(Duration.ofSeconds(5));
  }

  private static JobQueue.Work work(String data, String type, String priority) {
    return new JobQueue.Work(
        CallbackId.of(type, data), data, new JobSpec(type, priority, null, null));
  }

  private static String submit(JobQueue queue, String data, String type, String priority) {
    JobQueue.Work work = work(data, type, priority);
    assertTrue(await(queue.submit(work, "api")).queued());
    return work.id();
  }

  private static List<String> claim(JobQueue queue, String type, int max, Duration maxWait) {
    return await(queue.claim(type, "w1", max, Leases.newPrefix(), false, maxWait)).stream()
        .map(ClaimedJob::data)
        .toList();
  }

  @Test
  void eachTypeAndPriorityWaitsInItsOwnQueueAndTheSeedsJobInTheSeedsQueue(TestRedis redis) {
    JobQueue queue = store(redis).queue();
    RedisKeys keys = queue.keys();
    String plain = submit(queue, "a", null, null);
    String checksum = submit(queue, "a", "checksum", null);
    String urgent = submit(queue, "b", "checksum", "high");
    String lowDefault = submit(queue, "c", null, "low");
    assertEquals(List.of(plain), redis.list(keys.queue()));
    assertEquals(List.of(checksum), redis.list(keys.queue("checksum", "normal")));
    assertEquals(List.of(urgent), redis.list(keys.queue("checksum", "high")));
    assertEquals(List.of(lowDefault), redis.list(keys.queue("default", "low")));
    assertEquals(keys.queue() + ":checksum:high", keys.queue("checksum", "high"));

    JobRecord typed = await(queue.find(urgent)).orElseThrow();
    assertEquals("checksum", typed.field("type").orElseThrow());
    assertEquals("high", typed.field("priority").orElseThrow());
    JobRecord seed = await(queue.find(plain)).orElseThrow();
    assertFalse(seed.field("type").isPresent(), "the seed's job stores no type");
    assertFalse(seed.field("priority").isPresent());
    assertEquals(1, redis.call("ZCARD", keys.types()).toInteger());
    assertTrue(redis.call("ZSCORE", keys.types(), "checksum") != null, "checksum is listed");
  }

  @Test
  void theWakeUpMarkExpiresAndTheListOfTypesStaysBounded(TestRedis redis) {
    JobQueue queue = store(redis).queue();
    RedisKeys keys = queue.keys();
    submit(queue, "x", "resize", null);
    long ttl = redis.call("PTTL", keys.wake("resize")).toLong();
    assertTrue(ttl > 0 && ttl <= 60_000, "the mark of a type nobody serves expires: " + ttl);
    for (int i = 0; i < 1_005; i++) {
      submit(queue, "y", "t" + i, null);
    }
    assertEquals(1_000, redis.call("ZCARD", keys.types()).toInteger());
  }

  @Test
  void theSameTypeAndDataStayOneJobWhateverPriorityTheyAreAskedAgainWith(TestRedis redis) {
    JobQueue queue = store(redis).queue();
    submit(queue, "x", "checksum", "low");
    JobQueue.Submission again = await(queue.submit(work("x", "checksum", "high"), "api"));
    assertFalse(again.queued());
    assertEquals(JobStatus.PENDING, again.status());
    assertEquals(0, redis.call("LLEN", queue.keys().queue("checksum", "high")).toInteger());
    assertTrue(await(queue.submit(work("x", null, null), "api")).queued(), "another type's job");
  }

  @Test
  void aClaimTakesHighBeforeNormalBeforeLowOldestFirstWithinEach(TestRedis redis) {
    JobQueue queue = store(redis).queue();
    submit(queue, "low-1", "checksum", "low");
    submit(queue, "normal-1", "checksum", null);
    submit(queue, "high-1", "checksum", "high");
    submit(queue, "low-2", "checksum", "low");
    submit(queue, "high-2", "checksum", "high");
    submit(queue, "normal-2", "checksum", "normal");
    assertEquals(
        List.of("high-1", "high-2", "normal-1"), claim(queue, "checksum", 3, Duration.ZERO));
    assertEquals(List.of("normal-2", "low-1"), claim(queue, "checksum", 2, Duration.ZERO));
    assertEquals(List.of("low-2"), claim(queue, "checksum", 5, Duration.ZERO));
  }

  @Test
  void aClaimNeverTakesAnotherTypesJobs(TestRedis redis) {
    JobQueue queue = store(redis).queue();
    submit(queue, "plain", null, null);
    submit(queue, "urgent plain", null, "high");
    submit(queue, "sum", "checksum", null);
    assertEquals(List.of(), claim(queue, "resize", 5, Duration.ZERO));
    assertEquals(List.of("sum"), claim(queue, "checksum", 5, Duration.ZERO));
    assertEquals(
        List.of("urgent plain", "plain"), claim(queue, JobSpec.DEFAULT_TYPE, 5, Duration.ZERO));
  }

  @Test
  void aLowJobThatWaitedPastTheMaxWaitIsTakenBeforeHighOnes(TestRedis redis) {
    JobQueue queue = store(redis).queue();
    String old = submit(queue, "old low", "checksum", "low");
    // accepted a second ago (Redis' clock is this machine's)
    redis.call(
        "HSET",
        queue.keys().job(old),
        "accepted_at",
        Long.toString(System.currentTimeMillis() - 1_000));
    submit(queue, "high-1", "checksum", "high");
    submit(queue, "high-2", "checksum", "high");
    assertEquals(
        List.of("high-1"), claim(queue, "checksum", 1, Duration.ofSeconds(10)), "not old yet");
    assertEquals(List.of("old low"), claim(queue, "checksum", 1, Duration.ofMillis(200)));
    assertEquals(List.of("high-2"), claim(queue, "checksum", 1, Duration.ofMillis(200)));
  }

  @Test
  void aDelayedJobIsPendingWithItsRunAtAndClaimedOnlyOncePromotedToItsOwnQueue(TestRedis redis) {
    JobQueue queue = store(redis).queue();
    RedisKeys keys = queue.keys();
    JobQueue.Work later =
        new JobQueue.Work(
            CallbackId.of("checksum", "later"),
            "later",
            new JobSpec("checksum", "high", 300L, null));
    long before = System.currentTimeMillis();
    assertTrue(await(queue.submit(later, "api")).queued());
    JobRecord waiting = await(queue.find(later.id())).orElseThrow();
    assertEquals(JobStatus.PENDING, waiting.status());
    long runAt = Long.parseLong(waiting.field("run_at").orElseThrow());
    assertTrue(
        runAt >= before + 250 && runAt <= System.currentTimeMillis() + 350, "run_at " + runAt);
    assertEquals(1, redis.call("ZCARD", keys.delayed()).toInteger());
    assertEquals(0, redis.call("LLEN", keys.queue("checksum", "high")).toInteger());
    assertEquals(List.of(), claim(queue, "checksum", 5, Duration.ZERO));
    assertFalse(
        await(queue.submit(later, "api")).queued(), "a delayed job is pending: asked again, one");

    assertEquals(0, await(queue.promoteDue(100)));
    Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> await(queue.promoteDue(100)) == 1);
    assertTrue(System.currentTimeMillis() >= runAt, "not promoted before its time");
    assertEquals(List.of(later.id()), redis.list(keys.queue("checksum", "high")));
    assertEquals(List.of("later"), claim(queue, "checksum", 5, Duration.ZERO));
  }

  @Test
  void aRunAtIsAnInstantAndTheJobIsDueThen(TestRedis redis) {
    JobQueue queue = store(redis).queue();
    long at = System.currentTimeMillis() + 60_000;
    JobQueue.Work work =
        new JobQueue.Work(CallbackId.of("at"), "at", new JobSpec(null, null, null, at));
    await(queue.submit(work, "api"));
    assertEquals(
        Long.toString(at),
        await(queue.find(work.id())).orElseThrow().field("run_at").orElseThrow());
    assertEquals(
        (double) at,
        Double.parseDouble(redis.call("ZSCORE", queue.keys().delayed(), work.id()).toString()));
    assertEquals(0, await(queue.promoteDue(100)));
  }

  @Test
  void aTypedJobsRetryAndRecoveryGoBackToItsOwnQueue(TestRedis redis) {
    Store store = store(redis);
    JobQueue queue = store.queue();
    RedisKeys keys = queue.keys();
    String id = submit(queue, "flaky", "checksum", "low");
    ClaimedJob first =
        await(queue.claim("checksum", "w1", 1, Leases.newPrefix(), false, Duration.ZERO))
            .getFirst();
    assertEquals(
        JobQueue.FailOutcome.RETRY_SCHEDULED, await(queue.fail(first, "w1", "boom", NO_BACKOFF)));
    assertEquals(List.of(id), redis.list(keys.queue("checksum", "low")));
    assertEquals(0, redis.call("LLEN", keys.queue()).toInteger());

    await(queue.claim("checksum", "w1", 1, Leases.newPrefix(), false, Duration.ZERO));
    await(store.recovery().retire("w1", NO_BACKOFF));
    assertEquals(List.of(id), redis.list(keys.queue("checksum", "low")));
    assertEquals(0, redis.call("LLEN", keys.queue()).toInteger());
  }

  @Test
  void theStatsCountPendingJobsPerTypeAndPriority(TestRedis redis) {
    Store store = store(redis);
    JobQueue queue = store.queue();
    submit(queue, "a", null, null);
    submit(queue, "b", null, "high");
    submit(queue, "c", "checksum", "low");
    submit(queue, "d", "checksum", "low");
    QueueStats.Snapshot snapshot = await(store.stats().snapshot());
    assertEquals(4, snapshot.pending());
    assertEquals(
        Map.of(
            "default", Map.of("high", 1L, "normal", 1L, "low", 0L),
            "checksum", Map.of("high", 0L, "normal", 0L, "low", 2L)),
        snapshot.pendingByType());
    assertEquals(List.of("default", "checksum"), List.copyOf(snapshot.pendingByType().keySet()));
  }
}
