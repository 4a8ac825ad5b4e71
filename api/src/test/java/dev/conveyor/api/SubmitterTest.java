package dev.conveyor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobStatus;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.Store;
import dev.conveyor.testkit.PrivateRedis;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The api's group commit against a real Redis. {@code CLIENT PAUSE … WRITE} holds the first call in
 * Redis, so the submissions behind it wait, and the batches they then form are known exactly.
 */
@ExtendWith(RedisExtension.class)
class SubmitterTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private static JobQueue queue(TestRedis redis) {
    return new Store(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT).queue();
  }

  private static CompletableFuture<JobQueue.Submission> start(Uni<JobQueue.Submission> call) {
    return call.subscribeAsCompletionStage();
  }

  private static JobQueue.Submission answer(CompletableFuture<JobQueue.Submission> call)
      throws Exception {
    return call.get(5, TimeUnit.SECONDS);
  }

  /** Submit calls Redis has run since the last CONFIG RESETSTAT. */
  private static int submitCalls(TestRedis redis) {
    Matcher calls =
        Pattern.compile("cmdstat_evalsha:calls=(\\d+)")
            .matcher(redis.call("INFO", "commandstats").toString());
    return calls.find() ? Integer.parseInt(calls.group(1)) : 0;
  }

  /** Loads submit-5 and clears the command counts, so the test counts only its own calls. */
  private static void warm(Submitter submitter, TestRedis redis) throws Exception {
    assertTrue(answer(start(submitter.submit("WARM", "warm"))).queued());
    redis.call("CONFIG", "RESETSTAT");
  }

  @Test
  void submissionsThatWaitForACallGoTogetherInTheNextAndEachGetsItsOwnAnswer(
      @PrivateRedis TestRedis redis) throws Exception {
    JobQueue queue = queue(redis);
    List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    Submitter submitter = new Submitter(queue, "api@test", 1, 64, 1 << 20, 1000, sizes::add);
    warm(submitter, redis);
    sizes.clear();

    redis.call("CLIENT", "PAUSE", "300", "WRITE");
    List<CompletableFuture<JobQueue.Submission>> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(start(submitter.submit("ID" + i, "data " + i)));
    }
    calls.add(start(submitter.submit("ID7", "data 7"))); // the same data again, in a batch
    calls.add(start(submitter.submit("WARM", "warm"))); // data queued by an earlier call

    for (int i = 0; i < 100; i++) {
      assertEquals(
          new JobQueue.Submission(true, JobStatus.PENDING, "api@test"), answer(calls.get(i)));
    }
    assertEquals(
        new JobQueue.Submission(false, JobStatus.PENDING, "api@test"), answer(calls.get(100)));
    assertEquals(
        new JobQueue.Submission(false, JobStatus.PENDING, "api@test"), answer(calls.get(101)));
    // the first call alone (held by the pause), then 101 that waited: 64 + 37
    assertEquals(3, submitCalls(redis));
    assertEquals(List.of(1, 64, 37), sizes);
    assertEquals(101, redis.call("LLEN", queue.keys().queue()).toInteger());
    assertEquals("data 42", redis.call("HGET", queue.keys().job("ID42"), "data").toString());
  }

  @Test
  void aBatchCarriesAtMostItsShareOfDataButAlwaysOneJob(@PrivateRedis TestRedis redis)
      throws Exception {
    Submitter submitter = new Submitter(queue(redis), "api@test", 1, 64, 12, 1000, size -> {});
    warm(submitter, redis);

    redis.call("CLIENT", "PAUSE", "300", "WRITE");
    List<CompletableFuture<JobQueue.Submission>> calls = new ArrayList<>();
    calls.add(start(submitter.submit("BIG", "more than twelve characters")));
    for (int i = 0; i < 4; i++) {
      calls.add(start(submitter.submit("S" + i, "six  " + i)));
    }
    for (CompletableFuture<JobQueue.Submission> call : calls) {
      assertTrue(answer(call).queued());
    }
    // the big job alone, then two calls of two six-character jobs
    assertEquals(3, submitCalls(redis));
  }

  @Test
  void beyondTheWaitingLimitASubmissionFailsAtOnceAndTheOthersAreServed(
      @PrivateRedis TestRedis redis) throws Exception {
    Submitter submitter = new Submitter(queue(redis), "api@test", 1, 64, 1 << 20, 2, size -> {});
    warm(submitter, redis);

    redis.call("CLIENT", "PAUSE", "500", "WRITE");
    long paused = System.nanoTime();
    CompletableFuture<JobQueue.Submission> inFlight = start(submitter.submit("A", "a"));
    CompletableFuture<JobQueue.Submission> first = start(submitter.submit("B", "b"));
    CompletableFuture<JobQueue.Submission> second = start(submitter.submit("C", "c"));
    CompletableFuture<JobQueue.Submission> refused = start(submitter.submit("D", "d"));

    Throwable failure =
        refused.handle((ok, f) -> f).get(5, TimeUnit.SECONDS); // answered during the pause
    assertTrue(
        System.nanoTime() - paused < Duration.ofMillis(400).toNanos(), "refused without waiting");
    assertInstanceOf(StorageUnavailableException.class, failure);
    assertTrue(answer(inFlight).queued());
    assertTrue(answer(first).queued());
    assertTrue(answer(second).queued());
    assertEquals(0, redis.call("EXISTS", queue(redis).keys().job("D")).toInteger());
  }

  @Test
  void noSubmissionWaitsLongerThanTheTimeoutInAllForItsAnswer(@PrivateRedis TestRedis redis)
      throws Exception {
    Duration timeout = Duration.ofMillis(400);
    JobQueue queue = new JobQueue(redis.client(), new RedisKeys(redis.prefix()), timeout);
    Submitter submitter = new Submitter(queue, "api@test", 1, 64, 1 << 20, 1000, size -> {});
    warm(submitter, redis);

    redis.call("CLIENT", "PAUSE", "3000", "WRITE"); // Redis stops answering writes
    long start = System.nanoTime();
    List<CompletableFuture<Throwable>> failures = new ArrayList<>();
    for (int i = 0; i < 6; i++) { // the first is sent, the others wait behind it
      failures.add(start(submitter.submit("P" + i, "paused " + i)).handle((ok, f) -> f));
    }
    for (CompletableFuture<Throwable> failure : failures) {
      assertInstanceOf(StorageUnavailableException.class, failure.get(5, TimeUnit.SECONDS));
    }
    long tookMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    // one timeout for all of them; a call of their own after the first one's would take two
    assertTrue(tookMillis < 700, "the waiting submissions failed after " + tookMillis + " ms");
  }

  @Test
  void whenACallFailsEachSubmissionInItFailsAndLaterCallsStillGo(@PrivateRedis TestRedis redis)
      throws Exception {
    JobQueue queue = queue(redis);
    Submitter submitter = new Submitter(queue, "api@test", 1, 64, 1 << 20, 1000, size -> {});
    warm(submitter, redis);

    redis.server().stop();
    List<CompletableFuture<JobQueue.Submission>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(start(submitter.submit("DOWN" + i, "down " + i)));
    }
    for (CompletableFuture<JobQueue.Submission> call : calls) {
      assertInstanceOf(
          StorageUnavailableException.class, call.handle((ok, f) -> f).get(5, TimeUnit.SECONDS));
    }

    redis.server().restart();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> answer(start(submitter.submit("UP", "up"))).queued());
    assertEquals(
        JobStatus.PENDING, queue.find("WARM").await().atMost(TIMEOUT).orElseThrow().status());
  }
}
