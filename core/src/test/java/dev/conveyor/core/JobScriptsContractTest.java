package dev.conveyor.core;

import static dev.conveyor.core.JobFixture.aJob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.PrivateRedis;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import io.vertx.mutiny.redis.client.RedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The contract of every job transition script, each run against a real Redis. */
@ExtendWith(RedisExtension.class)
class JobScriptsContractTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Duration WAIT = Duration.ofMillis(200);
  private static final RetryPolicy NO_BACKOFF =
      new RetryPolicy(2, Duration.ZERO, Duration.ofMinutes(1), 100, 2);

  private static Store store(TestRedis redis) {
    return new Store(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT);
  }

  private static JobQueue queue(TestRedis redis) {
    return store(redis).queue();
  }

  private static JobRecovery recovery(TestRedis redis) {
    return store(redis).recovery();
  }

  private static <T> T await(io.smallrye.mutiny.Uni<T> uni) {
    return uni.await().atMost(Duration.ofSeconds(5));
  }

  /** BLMOVE then claim, the way a worker does it. */
  private static ClaimedJob take(JobQueue queue, TestRedis redis, String node) {
    return JobFixture.next(node, queue, redis);
  }

  @Test
  void submitQueuesANewJobAsPending(TestRedis redis) {
    JobQueue queue = queue(redis);
    JobQueue.Submission submission = await(queue.submit("ID1", "foo", "api@test"));
    assertTrue(submission.queued());
    assertEquals(JobStatus.PENDING, submission.status());
    JobRecord job = await(queue.find("ID1")).orElseThrow();
    assertEquals(JobStatus.PENDING, job.status());
    assertEquals("0", job.field("attempts").orElseThrow());
    assertEquals("api@test", job.field("accepted_by").orElseThrow());
    assertEquals(List.of("ID1"), redis.list(queue.keys().queue()));
  }

  @Test
  void theSameDataIsQueuedOnceWhilePendingOrWorking(TestRedis redis) {
    JobQueue queue = queue(redis);
    aJob().submittedTo(queue);
    assertFalse(await(queue.submit("ID1", "foo", "api")).queued());
    ClaimedJob job = take(queue, redis, "w1");
    JobQueue.Submission again = aJob().submittedTo(queue);
    assertFalse(again.queued());
    assertEquals(JobStatus.WORKING, again.status());
    assertEquals(0, redis.call("LLEN", queue.keys().queue()).toInteger());
    assertEquals("foo", job.data());
  }

  @Test
  void queueIsFirstInFirstOut(TestRedis redis) {
    JobQueue queue = queue(redis);
    for (String id : List.of("A", "B", "C")) {
      await(queue.submit(id, id, "api"));
    }
    assertEquals("A", take(queue, redis, "w").id());
    assertEquals("B", take(queue, redis, "w").id());
    assertEquals("C", take(queue, redis, "w").id());
  }

  @Test
  void awaitingJobsWakesOnceASubmissionSetsTheTypesMarkAndOtherwiseTimesOut(TestRedis redis) {
    JobQueue queue = queue(redis);
    RedisConnection connection = await(redis.client().connect());
    try {
      assertFalse(await(queue.awaitJobs(connection, JobSpec.DEFAULT_TYPE, WAIT)));
      aJob().submittedTo(queue);
      assertFalse(
          await(queue.awaitJobs(connection, "checksum", WAIT)), "another type's mark is apart");
      assertTrue(await(queue.awaitJobs(connection, JobSpec.DEFAULT_TYPE, WAIT)));
      assertFalse(
          await(queue.awaitJobs(connection, JobSpec.DEFAULT_TYPE, WAIT)), "the mark was taken");
      // a claim that leaves jobs behind sets the mark again, for the next claim loop
      aJob().withId("ID2").withData("bar").submittedTo(queue);
      await(queue.awaitJobs(connection, JobSpec.DEFAULT_TYPE, WAIT));
      await(queue.claimOne(JobSpec.DEFAULT_TYPE, "w1", Leases.newPrefix()));
      assertTrue(await(queue.awaitJobs(connection, JobSpec.DEFAULT_TYPE, WAIT)));
      await(queue.claimOne(JobSpec.DEFAULT_TYPE, "w1", Leases.newPrefix()));
      assertFalse(
          await(queue.awaitJobs(connection, JobSpec.DEFAULT_TYPE, WAIT)),
          "the claim that emptied the queue left no mark");
    } finally {
      connection.close().await().indefinitely();
    }
  }

  @Test
  void claimMarksTheJobWorkingUnderALease(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob job = aJob().claimedBy("w1", queue, redis);
    assertEquals(1, job.attempt());
    JobRecord record = await(queue.find("ID1")).orElseThrow();
    assertEquals(JobStatus.WORKING, record.status());
    assertEquals("w1", record.field("worker").orElseThrow());
    assertTrue(record.field("started_at").isPresent());
    assertEquals(List.of("ID1"), redis.list(queue.keys().processing("w1")));
  }

  @Test
  void claimSkipsAnIdThatIsNoPendingJob(TestRedis redis) {
    JobQueue queue = queue(redis);
    redis.call("LPUSH", queue.keys().queue(), "GHOST");
    assertEquals(Optional.empty(), await(queue.claimOne(JobSpec.DEFAULT_TYPE, "w1", "lease")));
    assertEquals(0, redis.call("LLEN", queue.keys().processing("w1")).toInteger());
  }

  @Test
  void oneClaimTakesUpToItsLimitInQueueOrderEachUnderItsOwnLease(TestRedis redis) {
    JobQueue queue = queue(redis);
    for (int i = 1; i <= 5; i++) {
      await(queue.submit("ID" + i, "data-" + i, "api"));
    }
    redis.call("LPUSH", queue.keys().queue(), "GHOST"); // a stray id behind ID5

    List<ClaimedJob> first =
        await(queue.claim(JobSpec.DEFAULT_TYPE, "w1", 3, Leases.newPrefix(), false, Duration.ZERO));
    assertEquals(List.of("ID1", "ID2", "ID3"), first.stream().map(ClaimedJob::id).toList());
    assertEquals(
        List.of("data-1", "data-2", "data-3"), first.stream().map(ClaimedJob::data).toList());
    assertEquals(
        3, first.stream().map(ClaimedJob::lease).distinct().count(), "one lease per claim");
    for (ClaimedJob job : first) {
      assertEquals(1, job.attempt());
      assertEquals(job.lease(), redis.call("HGET", queue.keys().job(job.id()), "lease").toString());
      assertEquals("working", redis.call("HGET", queue.keys().job(job.id()), "status").toString());
    }
    assertEquals(List.of("ID3", "ID2", "ID1"), redis.list(queue.keys().processing("w1")));

    // the stray id is looked at, dropped and counted; the limit counts it
    List<ClaimedJob> rest =
        await(queue.claim(JobSpec.DEFAULT_TYPE, "w2", 3, Leases.newPrefix(), false, Duration.ZERO));
    assertEquals(List.of("ID4", "ID5"), rest.stream().map(ClaimedJob::id).toList());
    assertEquals(List.of("ID5", "ID4"), redis.list(queue.keys().processing("w2")));
    assertEquals("1", redis.call("HGET", queue.keys().stats(), "skipped").toString());
    assertEquals(
        List.of(),
        await(
            queue.claim(JobSpec.DEFAULT_TYPE, "w2", 3, Leases.newPrefix(), false, Duration.ZERO)));
    assertEquals(0, redis.call("LLEN", queue.keys().queue()).toInteger());
    assertNotEquals(
        first.getFirst().lease(), rest.getFirst().lease(), "each call's leases are its own");
  }

  @Test
  void aRepeatedClaimCallAnswersWhatTheLostCallTookAndClaimsNoMoreThanItsLimit(TestRedis redis) {
    JobQueue queue = queue(redis);
    for (int i = 1; i <= 6; i++) {
      await(queue.submit("ID" + i, "x" + i, "api"));
    }
    String prefix = Leases.newPrefix();
    // the first call runs in Redis, but its answer never reaches the worker (a timeout)
    List<ClaimedJob> lost =
        await(queue.claim(JobSpec.DEFAULT_TYPE, "w1", 3, prefix, false, Duration.ZERO));
    assertEquals(List.of("ID1", "ID2", "ID3"), lost.stream().map(ClaimedJob::id).toList());
    // its repeat answers the same jobs under the same leases, and takes more up to the limit
    List<ClaimedJob> repeated =
        await(queue.claim(JobSpec.DEFAULT_TYPE, "w1", 4, prefix, true, Duration.ZERO));
    assertEquals(
        List.of("ID1", "ID2", "ID3", "ID4"),
        repeated.stream().map(ClaimedJob::id).sorted().toList());
    for (ClaimedJob job : lost) {
      assertTrue(repeated.contains(job), job + " answered again, same lease and attempt");
    }
    assertEquals(4, repeated.stream().map(ClaimedJob::lease).distinct().count());
    assertEquals(
        List.of("ID1", "ID2", "ID3", "ID4"),
        redis.list(queue.keys().processing("w1")).stream().sorted().toList(),
        "nothing dropped from the processing list");
    for (ClaimedJob job : repeated) {
      assertEquals("1", redis.call("HGET", queue.keys().job(job.id()), "attempts").toString());
    }
  }

  @Test
  void aRepeatedCompletionCallAfterALostAnswerCountsAsRecordedNotFenced(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob job = aJob().withData("x").claimedBy("w1", queue, redis);
    assertTrue(await(queue.complete(job, "w1", "{\"n\":1}", Duration.ofSeconds(10))));
    assertTrue(await(queue.complete(job, "w1", "{\"n\":1}", Duration.ofSeconds(10))));
    assertEquals("1", redis.call("HGET", queue.keys().stats(), "worked").toString());
    assertEquals(null, redis.call("HGET", queue.keys().stats(), "fenced"));
    assertEquals("{\"n\":1}", await(queue.find("ID1")).orElseThrow().field("result").orElseThrow());
  }

  @Test
  void oneCompletionCallRecordsEachResultOrFencesEachStaleOne(TestRedis redis) {
    JobQueue queue = queue(redis);
    for (int i = 1; i <= 3; i++) {
      await(queue.submit("ID" + i, "x" + i, "api"));
    }
    List<ClaimedJob> jobs =
        await(queue.claim(JobSpec.DEFAULT_TYPE, "w1", 3, Leases.newPrefix(), false, Duration.ZERO));
    ClaimedJob stale =
        new ClaimedJob(jobs.get(1).id(), jobs.get(1).data(), 1, jobs.get(1).lease() + "-old");
    List<JobQueue.CompleteOutcome> recorded =
        await(
            queue.complete(
                List.of(
                    new JobQueue.Completion(jobs.get(0), "{\"n\":1}"),
                    new JobQueue.Completion(stale, "{\"n\":2}"),
                    new JobQueue.Completion(jobs.get(2), "{\"n\":3}")),
                "w1",
                Duration.ofSeconds(10)));
    assertEquals(
        List.of(
            JobQueue.CompleteOutcome.RECORDED,
            JobQueue.CompleteOutcome.FENCED,
            JobQueue.CompleteOutcome.RECORDED),
        recorded);
    assertEquals("{\"n\":1}", await(queue.find("ID1")).orElseThrow().field("result").orElseThrow());
    assertEquals(JobStatus.WORKING, await(queue.find("ID2")).orElseThrow().status());
    assertEquals("{\"n\":3}", await(queue.find("ID3")).orElseThrow().field("result").orElseThrow());
    assertEquals(
        List.of("ID2"), redis.list(queue.keys().processing("w1")), "the fenced job stays ours");
    assertEquals("2", redis.call("HGET", queue.keys().stats(), "worked").toString());
    assertEquals("1", redis.call("HGET", queue.keys().stats(), "fenced").toString());
    long ttl = redis.call("PTTL", queue.keys().job("ID3")).toLong();
    assertTrue(ttl > 8_000 && ttl <= 10_000, "ttl " + ttl);
    assertTrue(await(queue.complete(jobs.get(1), "w1", "{}", Duration.ofSeconds(10))));
    assertEquals(0, redis.call("LLEN", queue.keys().processing("w1")).toInteger());
  }

  @Test
  void oneSubmitCallAnswersEachJobInOrderAndQueuesTheSameDataOnce(TestRedis redis) {
    JobQueue queue = queue(redis);
    await(queue.submit("DEAD", "failed before", "api"));
    ClaimedJob dead = take(queue, redis, "w1");
    await(queue.submit("OLD", "already there", "api"));
    await(
        queue.fail(
            dead, "w1", "boom", new RetryPolicy(1, Duration.ZERO, Duration.ofMinutes(1), 100, 2)));
    assertEquals(List.of("DEAD"), redis.list(queue.keys().deadLetters()));
    redis.call("DEL", queue.keys().stats());

    List<JobQueue.Submission> answers =
        await(
            queue.submit(
                List.of(
                    new JobQueue.Work("A", "a"),
                    new JobQueue.Work("OLD", "already there"),
                    new JobQueue.Work("B", "b"),
                    new JobQueue.Work("A", "a"),
                    new JobQueue.Work("DEAD", "failed before")),
                "api@batch"));

    assertEquals(
        List.of(
            new JobQueue.Submission(true, JobStatus.PENDING, "api@batch"),
            // a duplicate names the api that queued the job first, as GET does
            new JobQueue.Submission(false, JobStatus.PENDING, "api"),
            new JobQueue.Submission(true, JobStatus.PENDING, "api@batch"),
            new JobQueue.Submission(false, JobStatus.PENDING, "api@batch"),
            new JobQueue.Submission(true, JobStatus.PENDING, "api@batch")),
        answers);
    // first in, first out across and within calls; A only once; the failed job starts afresh
    assertEquals("OLD", take(queue, redis, "w2").id());
    assertEquals("A", take(queue, redis, "w2").id());
    assertEquals("B", take(queue, redis, "w2").id());
    assertEquals("DEAD", take(queue, redis, "w2").id());
    assertEquals(0, redis.call("LLEN", queue.keys().queue()).toInteger());
    assertEquals(List.of(), redis.list(queue.keys().deadLetters()));
    assertEquals(
        "api@batch", await(queue.find("A")).orElseThrow().field("accepted_by").orElseThrow());
    assertEquals("3", redis.call("HGET", queue.keys().stats(), "accepted").toString());
    assertEquals("2", redis.call("HGET", queue.keys().stats(), "deduplicated").toString());
    assertEquals(List.of("DEAD", "B", "A"), redis.list(queue.keys().recent()).subList(0, 3));
  }

  @Test
  void aJobPostedAgainIsListedOnceAmongTheRecentOnesAtItsNewestPlace(TestRedis redis) {
    JobQueue queue = queue(redis);
    await(queue.submit("ID1", "one", "api"));
    await(queue.submit("ID2", "two", "api"));
    redis.call("DEL", queue.keys().job("ID1")); // its result expired
    await(queue.submit("ID1", "one", "api"));
    assertEquals(List.of("ID1", "ID2", "ID1"), redis.list(queue.keys().recent()));
    Overview.Snapshot snapshot = await(store(redis).overview().look());
    assertEquals(
        List.of("ID1", "ID2"), snapshot.recent().stream().map(Overview.JobLine::id).toList());
  }

  @Test
  void completeWritesResultStatusAndTtlInOneStep(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob job = aJob().claimedBy("w1", queue, redis);
    assertTrue(await(queue.complete(job, "w1", "{\"ok\":true}", Duration.ofSeconds(10))));
    JobRecord record = await(queue.find("ID1")).orElseThrow();
    assertEquals(JobStatus.WORKED, record.status());
    assertEquals("{\"ok\":true}", record.field("result").orElseThrow());
    assertEquals("w1", record.field("worked_by").orElseThrow());
    long ttl = redis.call("PTTL", queue.keys().job("ID1")).toLong();
    assertTrue(ttl > 8_000 && ttl <= 10_000, "ttl " + ttl);
    assertEquals(0, redis.call("LLEN", queue.keys().processing("w1")).toInteger());
    assertFalse(await(queue.submit("ID1", "foo", "api")).queued(), "a worked result is served");
  }

  @Test
  void aWorkedResultExpiresAfterItsTtl(TestRedis redis) throws Exception {
    JobQueue queue = queue(redis);
    ClaimedJob job = aJob().claimedBy("w1", queue, redis);
    await(queue.complete(job, "w1", "{}", Duration.ofMillis(50)));
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(2))
        .until(() -> await(queue.find("ID1")).isEmpty());
  }

  @Test
  void aStaleOwnerCannotCompleteARecoveredJob(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob stale = aJob().claimedBy("w1", queue, redis);
    assertEquals(
        new JobRecovery.Outcome(1, 0), await(recovery(redis).retire("w1", RetryPolicy.DEFAULT)));
    ClaimedJob fresh = take(queue, redis, "w2");
    assertEquals(2, fresh.attempt());

    assertFalse(await(queue.complete(stale, "w1", "{\"by\":\"stale\"}", Duration.ofSeconds(10))));
    assertEquals(JobQueue.FailOutcome.FENCED, await(queue.fail(stale, "w1", "late", NO_BACKOFF)));
    assertTrue(await(queue.complete(fresh, "w2", "{\"by\":\"fresh\"}", Duration.ofSeconds(10))));
    JobRecord record = await(queue.find("ID1")).orElseThrow();
    assertEquals("{\"by\":\"fresh\"}", record.field("result").orElseThrow());
    assertEquals("w2", record.field("worked_by").orElseThrow());
    assertEquals("2", redis.call("HGET", queue.keys().stats(), "fenced").toString());
  }

  @Test
  void aStaleCompletionNeverRemovesTheSameWorkersNewerClaim(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob stale = aJob().claimedBy("w1", queue, redis);
    await(recovery(redis).retire("w1", RetryPolicy.DEFAULT));
    take(queue, redis, "w1");
    assertFalse(await(queue.complete(stale, "w1", "{}", Duration.ofSeconds(10))));
    assertEquals(List.of("ID1"), redis.list(queue.keys().processing("w1")));
  }

  @Test
  void aRepeatedFailCallAfterALostAnswerAnswersTheSameOutcomeAndChangesNothing(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob first = aJob().claimedBy("w1", queue, redis);
    assertEquals(
        JobQueue.FailOutcome.RETRY_SCHEDULED, await(queue.fail(first, "w1", "boom", NO_BACKOFF)));
    // the same worker claims the retry before the repeat of the lost call arrives
    ClaimedJob second = take(queue, redis, "w1");
    assertEquals(
        JobQueue.FailOutcome.RETRY_SCHEDULED, await(queue.fail(first, "w1", "boom", NO_BACKOFF)));
    assertEquals(List.of("ID1"), redis.list(queue.keys().processing("w1")), "its claim stays");
    assertEquals(JobStatus.WORKING, await(queue.find("ID1")).orElseThrow().status());

    assertEquals(JobQueue.FailOutcome.FAILED, await(queue.fail(second, "w1", "boom", NO_BACKOFF)));
    assertEquals(JobQueue.FailOutcome.FAILED, await(queue.fail(second, "w1", "boom", NO_BACKOFF)));
    assertEquals(List.of("ID1"), redis.list(queue.keys().deadLetters()));
    assertEquals(List.of(), redis.list(queue.keys().processing("w1")));
    assertEquals("1", redis.call("HGET", queue.keys().stats(), "retried").toString());
    assertEquals("1", redis.call("HGET", queue.keys().stats(), "failed").toString());
    assertEquals(0, redis.call("HEXISTS", queue.keys().stats(), "fenced").toInteger());
  }

  @Test
  void aFailedAttemptIsRetriedThenFailedIntoTheDeadLetters(TestRedis redis) {
    JobQueue queue = queue(redis);
    ClaimedJob first = aJob().claimedBy("w1", queue, redis);
    assertEquals(
        JobQueue.FailOutcome.RETRY_SCHEDULED, await(queue.fail(first, "w1", "boom 1", NO_BACKOFF)));
    JobRecord retrying = await(queue.find("ID1")).orElseThrow();
    assertEquals(JobStatus.PENDING, retrying.status());
    assertEquals("boom 1", retrying.field("last_error").orElseThrow());

    ClaimedJob second = take(queue, redis, "w1");
    assertEquals(2, second.attempt());
    assertEquals(
        JobQueue.FailOutcome.FAILED, await(queue.fail(second, "w1", "boom 2", NO_BACKOFF)));
    JobRecord failed = await(queue.find("ID1")).orElseThrow();
    assertEquals(JobStatus.FAILED, failed.status());
    assertEquals("boom 2", failed.field("last_error").orElseThrow());
    assertEquals(List.of("ID1"), redis.list(queue.keys().deadLetters()));
    assertTrue(redis.call("PTTL", queue.keys().job("ID1")).toLong() > 0, "failed jobs expire");

    assertTrue(await(queue.submit("ID1", "foo", "api")).queued(), "a failed job is queued again");
    assertEquals(0, redis.call("LLEN", queue.keys().deadLetters()).toInteger());
    assertEquals("0", await(queue.find("ID1")).orElseThrow().field("attempts").orElseThrow());
  }

  @Test
  void aRetryWaitsOutItsBackoffInTheDelayedSet(TestRedis redis) {
    JobQueue queue = queue(redis);
    RetryPolicy slow = new RetryPolicy(3, Duration.ofMillis(300), Duration.ofMinutes(1), 100, 3);
    aJob().submittedTo(queue);
    await(queue.fail(take(queue, redis, "w1"), "w1", "boom", slow));
    assertEquals(0, redis.call("LLEN", queue.keys().queue()).toInteger());
    assertEquals(0, await(queue.promoteDue(100)));
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> await(queue.promoteDue(100)) == 1);
    assertEquals(1, redis.call("LLEN", queue.keys().queue()).toInteger());
    assertEquals(0, redis.call("ZCARD", queue.keys().delayed()).toInteger());
  }

  @Test
  void recoverPutsAWorkersJobsBackAtTheHeadOfTheQueue(TestRedis redis) {
    JobQueue queue = queue(redis);
    for (String id : List.of("A", "B", "C")) {
      await(queue.submit(id, id, "api"));
    }
    take(queue, redis, "w1"); // A
    assertEquals(
        new JobRecovery.Outcome(1, 0), await(recovery(redis).retire("w1", RetryPolicy.DEFAULT)));
    assertEquals("A", take(queue, redis, "w2").id(), "a recovered job goes first");
    assertEquals(0, redis.call("EXISTS", queue.keys().processing("w1")).toInteger());
    assertEquals("1", redis.call("HGET", queue.keys().stats(), "recovered").toString());
  }

  @Test
  void aLostWorkerKeepsItsJobsWhileItStillBeatsAndLosesThemOnceABeatIsMissed(TestRedis redis) {
    JobQueue queue = queue(redis);
    Ledger ledger = store(redis).ledger();
    await(recovery(redis).enlist("w1", RetryPolicy.DEFAULT));
    assertEquals(List.of("w1"), await(recovery(redis).workers()));
    aJob().claimedBy("w1", queue, redis);
    await(ledger.heartbeat("w1", Duration.ofMillis(300), java.util.Map.of("role", "worker")));

    JobRecovery.Outcome early =
        await(recovery(redis).reap("w1", RetryPolicy.DEFAULT, Duration.ofMillis(100)));
    assertTrue(early.stillBeating(), "beat just now: cut off, not dead");
    assertEquals("working", redis.call("HGET", queue.keys().job("ID1"), "status").toString());

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .until(
            () ->
                !await(recovery(redis).reap("w1", RetryPolicy.DEFAULT, Duration.ofMillis(100)))
                    .stillBeating());
    assertEquals("pending", redis.call("HGET", queue.keys().job("ID1"), "status").toString());
    assertEquals(List.of("ID1"), redis.list(queue.keys().queue()));
    assertEquals(0, redis.call("EXISTS", queue.keys().node("w1")).toInteger(), "entry removed");
    assertEquals(List.of(), await(recovery(redis).workers()), "unregistered");
  }

  @Test
  void theJanitorLeaseIsHeldByOneNodeAndTakenFromAHolderThatStoppedBeating(TestRedis redis) {
    JanitorLease lease = store(redis).janitorLease();
    Ledger ledger = store(redis).ledger();
    Duration length = Duration.ofSeconds(5);
    await(ledger.heartbeat("a", Duration.ofSeconds(2), java.util.Map.of("role", "worker")));
    assertEquals(
        new JanitorLease.Holding(true, "a"),
        await(lease.hold("a", length, java.util.Optional.empty(), Duration.ZERO)));
    assertEquals(
        new JanitorLease.Holding(false, "a"),
        await(lease.hold("b", length, java.util.Optional.empty(), Duration.ZERO)));
    // b saw a leave its view, but a still beats: the lease stays a's
    assertEquals(
        new JanitorLease.Holding(false, "a"),
        await(lease.hold("b", length, java.util.Optional.of("a"), Duration.ofMillis(400))));
    redis.call("DEL", queue(redis).keys().node("a")); // a's entry gone: it is dead
    assertEquals(
        new JanitorLease.Holding(true, "b"),
        await(lease.hold("b", length, java.util.Optional.of("a"), Duration.ofMillis(400))));
    assertEquals(
        new JanitorLease.Holding(false, "b"),
        await(lease.hold("a", length, java.util.Optional.empty(), Duration.ZERO)));
  }

  @Test
  void aJobWhoseWorkersKeepDyingIsFailedAsAPoisonPill(TestRedis redis) {
    JobQueue queue = queue(redis);
    aJob().claimedBy("w1", queue, redis);
    assertEquals(new JobRecovery.Outcome(1, 0), await(recovery(redis).retire("w1", NO_BACKOFF)));
    take(queue, redis, "w2");
    assertEquals(new JobRecovery.Outcome(0, 1), await(recovery(redis).retire("w2", NO_BACKOFF)));
    JobRecord record = await(queue.find("ID1")).orElseThrow();
    assertEquals(JobStatus.FAILED, record.status());
    assertTrue(record.field("last_error").orElseThrow().contains("poison"));
  }

  @Test
  void scriptsReloadThemselvesAfterARedisRestart(@PrivateRedis TestRedis redis) {
    JobQueue queue = queue(redis);
    aJob().submittedTo(queue);
    redis.server().stop();
    assertThrows(StorageUnavailableException.class, () -> await(queue.submit("ID2", "bar", "api")));
    redis.server().restart();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> await(queue.submit("ID2", "bar", "api")).queued());
    assertEquals(JobStatus.PENDING, await(queue.find("ID1")).orElseThrow().status(), "AOF kept it");
  }
}
