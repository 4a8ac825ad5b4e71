package dev.conveyor.core;

import static dev.conveyor.core.JobFixture.aJob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract of {@code cancel-5} and of the events every transition publishes, against a real
 * Redis: a cancelled job is never claimed, a running one's outcome is refused and its worker told,
 * a finished one is left as it is, and a recovery never brings a cancelled job back.
 */
@ExtendWith(RedisExtension.class)
class CancelAndEventsContractTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final RetryPolicy NO_BACKOFF =
      new RetryPolicy(2, Duration.ZERO, Duration.ofMinutes(1), 100, 2);

  private static JobQueue queue(TestRedis redis) {
    return new Store(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT).queue();
  }

  private static <T> T await(Uni<T> uni) {
    return uni.await().atMost(Duration.ofSeconds(5));
  }

  /** The messages of one channel, through the same subscription the api and workers use. */
  private static BlockingQueue<String> listen(TestRedis redis, String channel) {
    BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    Subscription subscription =
        new Subscription(redis.vertx(), redis.client(), channel, messages::add, () -> {}, TIMEOUT);
    await(subscription.open());
    return messages;
  }

  private static String next(BlockingQueue<String> messages) throws InterruptedException {
    String message = messages.poll(5, TimeUnit.SECONDS);
    assertTrue(message != null, "no message within 5 s");
    return message;
  }

  @Test
  void aPendingJobCancelledLeavesItsQueueIsNeverClaimedAndIsReadableForItsTtl(TestRedis redis)
      throws Exception {
    JobQueue queue = queue(redis);
    BlockingQueue<String> events = listen(redis, queue.keys().events());
    aJob().submittedTo(queue);
    JobQueue.Cancellation cancel = await(queue.cancel("ID1", TTL));
    assertEquals(Optional.of(JobStatus.PENDING), cancel.before());
    assertTrue(cancel.cancelledNow());
    assertEquals(Optional.empty(), cancel.worker());
    assertEquals("cancelled ID1", next(events));
    assertEquals(List.of(), redis.list(queue.keys().queue()));
    assertEquals(Optional.empty(), await(queue.claimOne(JobSpec.DEFAULT_TYPE, "w1", "l")));
    JobRecord job = await(queue.find("ID1")).orElseThrow();
    assertEquals(JobStatus.CANCELLED, job.status());
    assertTrue(job.field("cancelled_at").isPresent());
    long ttl = redis.call("PTTL", queue.keys().job("ID1")).toLong();
    assertTrue(ttl > 8_000 && ttl <= 10_000, "ttl " + ttl);
    assertEquals("1", redis.call("HGET", queue.keys().stats(), "cancelled").toString());
  }

  @Test
  void aDelayedJobCancelledLeavesTheDelayedSetAndIsNeverPromoted(TestRedis redis) {
    JobQueue queue = queue(redis);
    JobQueue.Work later =
        new JobQueue.Work(
            CallbackId.of("checksum", "later"), "later", new JobSpec("checksum", "high", 1L, null));
    await(queue.submit(later, "api"));
    assertEquals(1, redis.call("ZCARD", queue.keys().delayed()).toInteger());
    assertTrue(await(queue.cancel(later.id(), TTL)).cancelledNow());
    assertEquals(0, redis.call("ZCARD", queue.keys().delayed()).toInteger());
    assertEquals(0, await(queue.promoteDue(100)));
    assertEquals(JobStatus.CANCELLED, await(queue.find(later.id())).orElseThrow().status());
  }

  @Test
  void aJobOfAnotherTypeAndPriorityLeavesItsOwnQueue(TestRedis redis) {
    JobQueue queue = queue(redis);
    JobQueue.Work urgent =
        new JobQueue.Work(
            CallbackId.of("checksum", "x"), "x", new JobSpec("checksum", "high", null, null));
    await(queue.submit(urgent, "api"));
    String own = queue.keys().queue() + ":checksum:high";
    assertEquals(List.of(urgent.id()), redis.list(own));
    assertTrue(await(queue.cancel(urgent.id(), TTL)).cancelledNow());
    assertEquals(List.of(), redis.list(own));
  }

  @Test
  void aWorkingJobCancelledHasItsResultRefusedAndItsWorkerTold(TestRedis redis) throws Exception {
    JobQueue queue = queue(redis);
    BlockingQueue<String> told = listen(redis, queue.keys().cancels("w1"));
    ClaimedJob job = aJob().claimedBy("w1", queue, redis);
    JobQueue.Cancellation cancel = await(queue.cancel("ID1", TTL));
    assertEquals(Optional.of(JobStatus.WORKING), cancel.before());
    assertEquals(Optional.of("w1"), cancel.worker());
    assertEquals("ID1", next(told));
    List<JobQueue.CompleteOutcome> outcome =
        await(queue.complete(List.of(new JobQueue.Completion(job, "{\"n\":1}")), "w1", TTL));
    assertEquals(List.of(JobQueue.CompleteOutcome.CANCELLED), outcome);
    JobRecord record = await(queue.find("ID1")).orElseThrow();
    assertEquals(JobStatus.CANCELLED, record.status());
    assertEquals(Optional.empty(), record.field("result"));
    assertEquals(List.of(), redis.list(queue.keys().processing("w1")), "unlisted");
    assertNull(redis.call("HGET", queue.keys().stats(), "worked"));
    assertNull(redis.call("HGET", queue.keys().stats(), "fenced"), "a cancel is no fencing");
  }

  @Test
  void aFailedAttemptOfACancelledJobIsDroppedNotRetried(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob job = aJob().claimedBy("w1", queue, redis);
    await(queue.cancel("ID1", TTL));
    assertEquals(
        JobQueue.FailOutcome.CANCELLED, await(queue.fail(job, "w1", "interrupted", NO_BACKOFF)));
    assertEquals(JobStatus.CANCELLED, await(queue.find("ID1")).orElseThrow().status());
    assertEquals(List.of(), redis.list(queue.keys().processing("w1")));
    assertEquals(0, redis.call("ZCARD", queue.keys().delayed()).toInteger(), "no retry");
  }

  @Test
  void theWorkerOfACancelledJobDyingNeverBringsItBack(TestRedis redis) {
    JobQueue queue = queue(redis);
    JobRecovery recovery =
        new Store(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT).recovery();
    aJob().claimedBy("w1", queue, redis);
    await(queue.cancel("ID1", TTL));
    JobRecovery.Outcome outcome = await(recovery.retire("w1", NO_BACKOFF));
    assertEquals(0, outcome.requeued());
    assertEquals(List.of(), redis.list(queue.keys().queue()));
    assertEquals(JobStatus.CANCELLED, await(queue.find("ID1")).orElseThrow().status());
  }

  @Test
  void aFinishedOrUnknownJobIsLeftAsItIs(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob job = aJob().claimedBy("w1", queue, redis);
    assertTrue(await(queue.complete(job, "w1", "{\"n\":1}", TTL)));
    JobQueue.Cancellation late = await(queue.cancel("ID1", TTL));
    assertEquals(Optional.of(JobStatus.WORKED), late.before());
    assertFalse(late.cancelledNow());
    assertEquals(JobStatus.WORKED, await(queue.find("ID1")).orElseThrow().status());
    JobQueue.Cancellation unknown = await(queue.cancel("NOPE", TTL));
    assertEquals(Optional.empty(), unknown.before());
    assertFalse(unknown.cancelledNow());
    assertEquals(Optional.empty(), await(queue.find("NOPE")), "nothing written for it");
    // twice: the second finds it cancelled, and changes nothing
    aJob().withId("ID2").withData("bar").submittedTo(queue);
    assertTrue(await(queue.cancel("ID2", TTL)).cancelledNow());
    assertEquals(Optional.of(JobStatus.CANCELLED), await(queue.cancel("ID2", TTL)).before());
    assertEquals("1", redis.call("HGET", queue.keys().stats(), "cancelled").toString());
  }

  @Test
  void theSameDataPostedAfterACancelIsAcceptedAfresh(TestRedis redis) {
    JobQueue queue = queue(redis);
    aJob().submittedTo(queue);
    await(queue.cancel("ID1", TTL));
    assertTrue(aJob().submittedTo(queue).queued());
    assertEquals(JobStatus.PENDING, await(queue.find("ID1")).orElseThrow().status());
    assertEquals(List.of("ID1"), redis.list(queue.keys().queue()));
  }

  @Test
  void everyTransitionAnnouncesTheStateItsJobsEntered(TestRedis redis) throws Exception {
    JobQueue queue = queue(redis);
    BlockingQueue<String> events = listen(redis, queue.keys().events());
    for (String id : List.of("A", "B")) {
      await(queue.submit(id, id, "api"));
    }
    List<ClaimedJob> jobs =
        await(queue.claim(JobSpec.DEFAULT_TYPE, "w1", 2, Leases.newPrefix(), false, Duration.ZERO));
    assertEquals("working A B", next(events), "one message for a claim's jobs");
    await(queue.complete(jobs.get(0), "w1", "{}", TTL));
    assertEquals("worked A", next(events));
    await(queue.fail(jobs.get(1), "w1", "boom", NO_BACKOFF));
    assertEquals("pending B", next(events), "retried");
    ClaimedJob again =
        await(queue.claim(JobSpec.DEFAULT_TYPE, "w1", 1, Leases.newPrefix(), false, Duration.ZERO))
            .getFirst();
    assertEquals("working B", next(events));
    await(queue.fail(again, "w1", "boom", NO_BACKOFF));
    assertEquals("failed B", next(events), "its last attempt");
    assertEquals(List.of(), List.copyOf(events), "nothing else: " + events);
  }

  @Test
  void statusesReadsManyJobsInOneCall(TestRedis redis) {
    JobQueue queue = queue(redis);
    aJob().submittedTo(queue);
    assertEquals(
        List.of(Optional.of(JobStatus.PENDING), Optional.empty()),
        await(queue.statuses(List.of("ID1", "NOPE"))));
    assertEquals(List.of(), await(queue.statuses(List.of())));
  }
}
