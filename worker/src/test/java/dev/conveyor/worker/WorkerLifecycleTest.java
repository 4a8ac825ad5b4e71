package dev.conveyor.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.PrivateRedis;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A worker's life around its Redis and its stop: outages, drains, failures. */
@ExtendWith(RedisExtension.class)
class WorkerLifecycleTest {

  @Test
  void aWorkerStartedBeforeRedisExistsWaitsAndThenWorks(@PrivateRedis TestRedis redis) {
    redis.server().stop();
    try (Workers workers = new Workers(redis)) {
      workers.start("w1@test", 2, job -> Map.of("ok", true));
      await().pollDelay(Duration.ofMillis(500)).until(() -> true); // the worker retries meanwhile
      redis.server().restart();
      String id = workers.submit("after redis came");
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(id).equals("worked"));
    }
  }

  @Test
  void aResultFinishedDuringAnOutageIsWrittenWhenRedisReturns(@PrivateRedis TestRedis redis)
      throws Exception {
    CountDownLatch working = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Workers workers = new Workers(redis)) {
      workers.start(
          "w1@test",
          1,
          job -> {
            working.countDown();
            release.await();
            return Map.of("kept", true);
          });
      String id = workers.submit("outage");
      assertTrue(working.await(10, TimeUnit.SECONDS));
      redis.server().stop();
      release.countDown(); // finishes while Redis is away
      await().pollDelay(Duration.ofMillis(700)).until(() -> true);
      redis.server().restart();
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(id).equals("worked"));
      assertEquals(
          "{\"kept\":true}", redis.call("HGET", workers.queue.keys().job(id), "result").toString());
      String next = workers.submit("after the outage");
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(next).equals("worked"));
    }
  }

  @Test
  void stopLetsInFlightJobsFinishWithinTheGrace(TestRedis redis) throws Exception {
    CountDownLatch working = new CountDownLatch(1);
    try (Workers workers = new Workers(redis)) {
      Worker worker =
          workers.start(
              "w1@test",
              1,
              job -> {
                working.countDown();
                Thread.sleep(500);
                return Map.of("done", true);
              });
      String id = workers.submit("drain me");
      String queued = workers.submit("never started");
      assertTrue(working.await(10, TimeUnit.SECONDS));
      worker.stop(Duration.ofSeconds(10));
      assertEquals("worked", workers.status(id));
      assertEquals("pending", workers.status(queued), "no claims after stop");
      assertEquals(1, redis.call("LLEN", workers.queue.keys().queue()).toInteger());
    }
  }

  @Test
  void aJobOutlastingTheGraceGoesBackToTheQueue(TestRedis redis) throws Exception {
    CountDownLatch working = new CountDownLatch(1);
    try (Workers workers = new Workers(redis)) {
      Worker worker =
          workers.start(
              "w1@test",
              1,
              job -> {
                working.countDown();
                Thread.sleep(60_000);
                return Map.of();
              });
      String id = workers.submit("too slow");
      assertTrue(working.await(10, TimeUnit.SECONDS));
      worker.stop(Duration.ofMillis(300));
      assertEquals("pending", workers.status(id));
      assertEquals(java.util.List.of(id), redis.list(workers.queue.keys().queue()));
      assertEquals(0, redis.call("LLEN", workers.queue.keys().processing("w1@test")).toInteger());
    }
  }

  @Test
  void aThrowingHandlerIsRetriedThenFailedWithItsError(TestRedis redis) {
    AtomicInteger calls = new AtomicInteger();
    try (Workers workers = new Workers(redis)) {
      workers.start(
          "w1@test",
          1,
          job -> {
            calls.incrementAndGet();
            throw new IllegalStateException("no luck on attempt " + job.attempt());
          });
      String id = workers.submit("doomed");
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(id).equals("failed"));
      assertEquals(3, calls.get(), "MAX_ATTEMPTS attempts");
      assertEquals(
          "IllegalStateException: no luck on attempt 3",
          redis.call("HGET", workers.queue.keys().job(id), "last_error").toString());
      assertEquals(java.util.List.of(id), redis.list(workers.queue.keys().deadLetters()));
    }
  }

  @Test
  void aHandlerThatOutlivesJobTimeoutIsInterruptedAndItsAttemptFails(TestRedis redis) {
    AtomicInteger interrupted = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    try (Workers workers = new Workers(redis)) {
      workers.start(
          "w1@test",
          1,
          job -> {
            calls.incrementAndGet();
            if (job.data().equals("stubborn")) {
              // ignores interrupts: spins past the timeout, then returns a result anyway
              long until = System.nanoTime() + Duration.ofMillis(400).toNanos();
              while (System.nanoTime() < until) {
                Thread.onSpinWait();
              }
              return Map.of("late", true);
            }
            try {
              Thread.sleep(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
              interrupted.incrementAndGet();
              throw e;
            }
            return Map.of();
          },
          Workers.QUICK_RETRIES,
          Duration.ofSeconds(10),
          Workers.HEARTBEAT,
          Duration.ofMillis(200));
      String id = workers.submit("slow");
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(id).equals("failed"));
      assertEquals(3, interrupted.get(), "each attempt interrupted at JOB_TIMEOUT");
      assertTrue(
          redis
              .call("HGET", workers.queue.keys().job(id), "last_error")
              .toString()
              .contains("longer than JOB_TIMEOUT (200 ms)"));
      String stubborn = workers.submit("stubborn");
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(stubborn).equals("failed"));
      assertEquals(6, calls.get());
      assertEquals(
          0, redis.call("HEXISTS", workers.queue.keys().job(stubborn), "result").toInteger());
    }
  }

  @Test
  void aWorkerKeepsItsLedgerEntryFreshAndLeavesItWhenItStops(TestRedis redis) throws Exception {
    CountDownLatch working = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Workers workers = new Workers(redis)) {
      Worker worker =
          workers.start(
              "w1@test",
              2,
              job -> {
                working.countDown();
                release.await();
                return Map.of();
              });
      workers.submit("busy");
      assertTrue(working.await(10, TimeUnit.SECONDS));
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  workers.ledger().members().await().indefinitely().stream()
                      .anyMatch(
                          e ->
                              e.name().equals("w1@test")
                                  && "1".equals(e.field("in_flight"))
                                  && "worker".equals(e.field("role"))
                                  && "running".equals(e.field("state"))
                                  && "2".equals(e.field("concurrency"))));
      release.countDown();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  workers.ledger().members().await().indefinitely().stream()
                      .anyMatch(e -> "1".equals(e.field("processed"))));
      worker.stop(Duration.ofSeconds(5));
      assertEquals(List.of(), workers.ledger().members().await().indefinitely());
    }
  }

  @Test
  void aWorkerStoppedWhileItsHousekeepingWaitsOnRedisEndsWithoutAnUncaughtError(
      @PrivateRedis TestRedis redis) throws Exception {
    List<String> uncaught = new CopyOnWriteArrayList<>();
    Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(t.getName() + ": " + e));
    try (Workers workers = new Workers(redis)) {
      Worker worker = workers.start("w1@test", 1, job -> Map.of());
      String id = workers.submit("the housekeeper is in its loop");
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(id).equals("worked"));
      // Redis holds every command for a second: the housekeeper's next promotion (every 50 ms)
      // waits on its answer (the thread WAITING, not sleeping between rounds) when it is ended
      redis.call("CLIENT", "PAUSE", "1000", "ALL");
      await().atMost(Duration.ofMillis(800)).until(() -> housekeepers(Thread.State.WAITING) == 1);
      worker.faults().vanish();
      await().atMost(Duration.ofSeconds(5)).until(() -> housekeepers(null) == 0);
      assertEquals(List.of(), uncaught);
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(before);
    }
  }

  /** Live housekeeper threads, in {@code state} (any state when null). */
  private static long housekeepers(Thread.State state) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("housekeeper") && t.isAlive())
        .filter(t -> state == null || t.getState() == state)
        .count();
  }

  @Test
  void aRestartedWorkerOfTheSameNamePutsBackItsLeftovers(TestRedis redis) {
    try (Workers workers = new Workers(redis)) {
      String id = workers.submit("left behind");
      // an earlier life of w1 took the job and died before finishing it
      redis.call(
          "LMOVE",
          workers.queue.keys().queue(),
          workers.queue.keys().processing("w1@test"),
          "RIGHT",
          "LEFT");
      redis.call(
          "HSET",
          workers.queue.keys().job(id),
          "status",
          "working",
          "worker",
          "w1@test",
          "lease",
          "old");
      workers.start("w1@test", 1, job -> Map.of("second", "life"));
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(id).equals("worked"));
    }
  }
}
