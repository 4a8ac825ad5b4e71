package dev.conveyor.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisExtension.class)
class ClaimConcurrencyTest {

  private static final int JOBS = 2_000;

  @Test
  void fourWorkersOfConcurrencyFourClaimEachOfTwoThousandJobsExactlyOnce(TestRedis redis) {
    Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> perWorker = new ConcurrentHashMap<>();
    try (Workers workers = new Workers(redis)) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        ids.add(workers.submit("job-" + i));
      }
      for (int w = 1; w <= 4; w++) {
        String node = "worker-" + w + "@test";
        workers.start(
            node,
            4,
            job -> {
              executions.computeIfAbsent(job.id(), k -> new AtomicInteger()).incrementAndGet();
              perWorker.computeIfAbsent(node, k -> new AtomicInteger()).incrementAndGet();
              return Map.of("ok", true);
            });
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  "2000"
                      .equals(
                          String.valueOf(
                              redis.call("HGET", workers.queue.keys().stats(), "worked"))));

      assertEquals(JOBS, executions.size(), "every job was worked");
      executions.forEach((id, n) -> assertEquals(1, n.get(), "job " + id + " worked once"));
      for (String id : ids) {
        assertEquals("worked", workers.status(id));
        assertEquals("1", redis.call("HGET", workers.queue.keys().job(id), "attempts").toString());
      }
      assertEquals(0, redis.call("LLEN", workers.queue.keys().queue()).toInteger());
      for (int w = 1; w <= 4; w++) {
        assertEquals(
            0,
            redis
                .call("LLEN", workers.queue.keys().processing("worker-" + w + "@test"))
                .toInteger());
      }
      assertEquals(4, perWorker.size(), "all four workers took part: " + perWorker);
    }
  }

  @Test
  void aWorkerRunsAsManyHandlersAtOnceAsItsConcurrencyAndNeverMore(TestRedis redis) {
    int concurrency = 8;
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    try (Workers workers = new Workers(redis)) {
      for (int i = 0; i < 400; i++) {
        workers.submit("slot-" + i);
      }
      workers.start(
          "slots@test",
          concurrency,
          job -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
              Thread.sleep(5);
            } finally {
              running.decrementAndGet();
            }
            return Map.of("ok", true);
          });
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  "400"
                      .equals(
                          String.valueOf(
                              redis.call("HGET", workers.queue.keys().stats(), "worked"))));
      assertEquals(concurrency, most.get(), "handlers at once");
      assertEquals(
          0, redis.call("LLEN", workers.queue.keys().processing("slots@test")).toInteger());
    }
  }
}
