package dev.conveyor.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobStatus;
import dev.conveyor.testkit.PrivateRedis;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A job cancelled while a real worker runs it: its handler is interrupted, nothing it comes to is
 * recorded, the slot is free again, and the worker goes on with its other jobs.
 */
@ExtendWith(RedisExtension.class)
class CancelRunningJobTest {

  private static final Duration TTL = Duration.ofSeconds(30);

  @Test
  void aCancelInterruptsTheHandlerAndItsOutcomeIsNeverRecorded(TestRedis redis) throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    try (Workers workers = new Workers(redis)) {
      workers.start(
          "w1@test",
          2,
          job -> {
            if (!job.data().equals("long")) {
              return Map.of("ok", true);
            }
            started.countDown();
            try {
              Thread.sleep(60_000);
            } catch (InterruptedException e) {
              interrupted.countDown();
              throw e;
            }
            return Map.of("never", true);
          });
      String id = workers.submit("long");
      assertTrue(started.await(10, TimeUnit.SECONDS));
      JobQueue.Cancellation cancel = workers.queue.cancel(id, TTL).await().indefinitely();
      assertEquals(Optional.of("w1@test"), cancel.worker());
      assertTrue(interrupted.await(5, TimeUnit.SECONDS), "the handler was not interrupted");
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> redis.list(workers.queue.keys().processing("w1@test")).isEmpty());
      assertEquals("cancelled", workers.status(id));
      assertEquals(null, redis.call("HGET", workers.queue.keys().stats(), "retried"), "no retry");
      String next = workers.submit("after the cancel");
      await().atMost(Duration.ofSeconds(10)).until(() -> workers.status(next).equals("worked"));
    }
  }

  @Test
  void aHandlerThatIgnoresTheInterruptHasItsResultRefused(TestRedis redis) throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger returned = new AtomicInteger();
    try (Workers workers = new Workers(redis)) {
      workers.start(
          "w1@test",
          1,
          job -> {
            started.countDown();
            while (true) {
              try {
                release.await(); // swallows interrupts: returns only once released
                break;
              } catch (InterruptedException ignored) {
                // a handler that will not stop
              }
            }
            returned.incrementAndGet();
            return Map.of("late", true);
          });
      String id = workers.submit("stubborn");
      assertTrue(started.await(10, TimeUnit.SECONDS));
      workers.queue.cancel(id, TTL).await().indefinitely();
      release.countDown();
      await().atMost(Duration.ofSeconds(5)).until(() -> returned.get() == 1);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> redis.list(workers.queue.keys().processing("w1@test")).isEmpty());
      assertEquals("cancelled", workers.status(id));
      assertEquals(null, redis.call("HGET", workers.queue.keys().job(id), "result"));
    }
  }

  @Test
  void aCancelPublishedWhileTheWorkerCouldNotHearIsFoundWhenItListensAgain(
      @PrivateRedis TestRedis redis) throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    try (Workers workers = new Workers(redis)) {
      workers.start(
          "w1@test",
          1,
          job -> {
            started.countDown();
            try {
              Thread.sleep(60_000);
            } catch (InterruptedException e) {
              interrupted.countDown();
              throw e;
            }
            return Map.of();
          });
      String id = workers.submit("unheard");
      assertTrue(started.await(10, TimeUnit.SECONDS));
      // a cancel whose message the worker missed: what cancel-5 writes, without the message
      String key = workers.queue.keys().job(id);
      redis.call("HSET", key, "status", "cancelled");
      redis.call("HDEL", key, "lease", "worker");
      assertEquals(1, interrupted.getCount(), "nothing told it yet");
      // its subscription is cut, as by a network blip: on subscribing again it reads its jobs
      redis.call("CLIENT", "KILL", "TYPE", "pubsub");
      assertTrue(interrupted.await(5, TimeUnit.SECONDS), "not found on resubscribing");
      assertEquals(
          List.of(Optional.of(JobStatus.CANCELLED)),
          workers.queue.statuses(List.of(id)).await().indefinitely());
    }
  }
}
