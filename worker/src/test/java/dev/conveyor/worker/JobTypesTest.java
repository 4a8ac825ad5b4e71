package dev.conveyor.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobSpec;
import dev.conveyor.core.Ledger;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Job types in a real worker against a real Redis: each type goes to its own handler with its own
 * slots, priorities are taken in order within a type, and the worker's ledger entry says what it
 * serves. Also how the handler beans become served types.
 */
@ExtendWith(RedisExtension.class)
class JobTypesTest {

  private static final Duration LONG = Duration.ofSeconds(30);

  /** What the worker app serves: the demo (no sleep) and the checksum, with these slots. */
  private static List<ServedType> demoAndChecksum(int demoSlots, int checksumSlots) {
    return List.of(
        ServedType.ofDefault(new SleepingJobHandler(Duration.ZERO), demoSlots),
        new ServedType("checksum", new ChecksumHandler(), checksumSlots));
  }

  @Test
  void eachTypeIsWorkedByItsOwnHandlerAndTheChecksumAnswersTheSha256(TestRedis redis) {
    try (Workers workers = new Workers(redis)) {
      workers.start("w1", demoAndChecksum(1, 2), LONG);
      String sum = workers.submit("hello", "checksum", null);
      String plain = workers.submit("hello", null, null);
      await().atMost(Duration.ofSeconds(10)).until(() -> "worked".equals(workers.status(sum)));
      await().atMost(Duration.ofSeconds(10)).until(() -> "worked".equals(workers.status(plain)));
      assertEquals(
          "{\"sha256\":\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"}",
          redis.call("HGET", workers.queue.keys().job(sum), "result").toString());
      assertEquals(
          "{\"bytes\":5,\"slept_ms\":0}",
          redis.call("HGET", workers.queue.keys().job(plain), "result").toString());
    }
  }

  @Test
  void aSlowTypeHoldsUpNoOtherTypeEachHasItsOwnSlots(TestRedis redis) throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    JobHandler stuck =
        job -> {
          release.await(30, TimeUnit.SECONDS);
          return "late";
        };
    try (Workers workers = new Workers(redis)) {
      Worker worker =
          workers.start(
              "w1",
              List.of(
                  new ServedType("slow", stuck, 1),
                  new ServedType("checksum", new ChecksumHandler(), 1)),
              LONG);
      String blocked = workers.submit("a", "slow", null);
      String waiting = workers.submit("b", "slow", null);
      await().atMost(Duration.ofSeconds(10)).until(() -> "working".equals(workers.status(blocked)));
      String quick = workers.submit("c", "checksum", null);
      await().atMost(Duration.ofSeconds(10)).until(() -> "worked".equals(workers.status(quick)));
      assertEquals("pending", workers.status(waiting), "the slow type's one slot is busy");
      assertEquals(2, worker.concurrency());
      release.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> "worked".equals(workers.status(waiting)));
    }
  }

  /**
   * Every type's outcomes go through one writer, which the stop closes only once every type's loop
   * has finished: jobs of the second type that end after the first type's loop stopped are recorded
   * as worked, not given up and re-queued.
   */
  @Test
  void aStopRecordsTheOutcomesOfEveryTypesJobsInFlight(TestRedis redis) {
    CountDownLatch started = new CountDownLatch(4);
    JobHandler quick =
        job -> {
          started.countDown();
          Thread.sleep(200);
          return "quick";
        };
    JobHandler slower =
        job -> {
          started.countDown();
          Thread.sleep(1_000);
          return "slower";
        };
    try (Workers workers = new Workers(redis)) {
      Worker worker =
          workers.start(
              "w1", List.of(new ServedType("a", quick, 2), new ServedType("b", slower, 2)), LONG);
      List<String> ids =
          List.of(
              workers.submit("a1", "a", null),
              workers.submit("a2", "a", null),
              workers.submit("b1", "b", null),
              workers.submit("b2", "b", null));
      await().atMost(Duration.ofSeconds(10)).until(() -> started.getCount() == 0);
      worker.stop(Duration.ofSeconds(10));
      for (String id : ids) {
        assertEquals("worked", workers.status(id), id);
      }
      assertEquals(4, worker.processed());
      assertEquals(0, redis.call("LLEN", workers.queue.keys().processing("w1")).toInteger());
    }
  }

  @Test
  void aWorkerTakesHighBeforeNormalBeforeLowAndTheOldestFirstWithinEach(TestRedis redis) {
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    try (Workers workers = new Workers(redis)) {
      List<String> submitted = new ArrayList<>();
      for (String priority : List.of("low", "normal", "high")) {
        for (int i = 1; i <= 3; i++) {
          submitted.add(workers.submit(priority + "-" + i, "report", priority));
        }
      }
      workers.start(
          "w1",
          List.of(
              new ServedType(
                  "report",
                  job -> {
                    order.add(job.data());
                    return "ok";
                  },
                  1)),
          LONG);
      await().atMost(Duration.ofSeconds(10)).until(() -> order.size() == submitted.size());
      assertEquals(
          List.of(
              "high-1",
              "high-2",
              "high-3",
              "normal-1",
              "normal-2",
              "normal-3",
              "low-1",
              "low-2",
              "low-3"),
          order);
    }
  }

  @Test
  void aFloodOfHighJobsDoesNotStarveALowOnePastThePriorityMaxWait(TestRedis redis) {
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    try (Workers workers = new Workers(redis)) {
      for (int i = 0; i < 400; i++) {
        workers.submit("high-" + i, "report", "high");
      }
      String low = workers.submit("the low one", "report", "low");
      long started = System.nanoTime();
      workers.start(
          "w1",
          List.of(
              new ServedType(
                  "report",
                  job -> {
                    order.add(job.data());
                    Thread.sleep(5); // 400 high jobs take 2 s or more
                    return "ok";
                  },
                  1)),
          Duration.ofMillis(500));
      await().atMost(Duration.ofSeconds(20)).until(() -> "worked".equals(workers.status(low)));
      long waitedMs = (System.nanoTime() - started) / 1_000_000;
      int place = order.indexOf("the low one");
      assertTrue(place > 0 && place < 400, "taken among the high jobs, at " + place);
      assertTrue(waitedMs < 2_000, "worked after " + waitedMs + " ms, not after the flood");
    }
  }

  @Test
  void theLedgerEntryListsTheTypesAndEachTypesConcurrency(TestRedis redis) {
    try (Workers workers = new Workers(redis)) {
      workers.start("w1", demoAndChecksum(2, 3), LONG);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  workers.ledger().members().await().indefinitely().stream()
                      .anyMatch(e -> "checksum,default".equals(e.field("types"))));
      Ledger.Entry entry = workers.ledger().members().await().indefinitely().getFirst();
      assertEquals("5", entry.field("concurrency"));
      assertEquals("checksum=3,default=2", entry.field("type_concurrency"));
      assertEquals(
          java.util.Set.of("checksum", "default"),
          Ledger.typesOf(workers.ledger().members().await().indefinitely()));
    }
  }

  @JobType("resize")
  static final class ResizeHandler implements JobHandler {
    @Override
    public Object handle(ClaimedJob job) {
      return "resized";
    }
  }

  static final class MyDefaultHandler implements JobHandler {
    @Override
    public Object handle(ClaimedJob job) {
      return "mine";
    }
  }

  @JobType("checksum")
  static final class OtherChecksumHandler implements JobHandler {
    @Override
    public Object handle(ClaimedJob job) {
      return "other";
    }
  }

  private static Map<JobHandler, Class<?>> beans(JobHandler... handlers) {
    Map<JobHandler, Class<?>> beans = new LinkedHashMap<>();
    for (JobHandler handler : handlers) {
      beans.put(handler, handler.getClass());
    }
    return beans;
  }

  @Test
  void handlerBeansBecomeServedTypesAndTheDemoGivesWayToAUsersDefault() {
    JobHandler demo = new SleepingJobHandler(Duration.ZERO);
    JobHandler mine = new MyDefaultHandler();
    JobHandler checksum = new ChecksumHandler();
    JobHandler resize = new ResizeHandler();
    List<ServedType> served =
        JobTypes.served(
            beans(demo, checksum, resize, mine),
            Optional.empty(),
            4,
            type -> type.equals("resize") ? Optional.of(1) : Optional.empty());
    assertEquals(
        List.of("checksum", "default", "resize"), served.stream().map(ServedType::type).toList());
    assertEquals(mine, served.get(1).handler(), "a user's default handler replaces the demo");
    assertEquals(List.of(4, 4, 1), served.stream().map(ServedType::concurrency).toList());

    List<ServedType> narrowed =
        JobTypes.served(
            beans(demo, checksum), Optional.of(List.of("checksum")), 4, t -> Optional.empty());
    assertEquals(List.of("checksum"), narrowed.stream().map(ServedType::type).toList());
    assertEquals(JobSpec.DEFAULT_TYPE, JobTypes.typeOf(MyDefaultHandler.class));
    assertEquals(
        "WORKER_CONCURRENCY_IMAGE_RESIZE_V2", JobTypes.concurrencyVariable("image.resize-v2"));
  }

  @Test
  void twoHandlersOfOneTypeOrAnUnservedWorkerTypeRefuseToStartNamingWhy() {
    IllegalStateException twice =
        assertThrows(
            IllegalStateException.class,
            () ->
                JobTypes.served(
                    beans(new ChecksumHandler(), new OtherChecksumHandler()),
                    Optional.empty(),
                    1,
                    t -> Optional.empty()));
    assertTrue(twice.getMessage().contains("two handlers do type checksum"), twice.getMessage());
    IllegalStateException unknown =
        assertThrows(
            IllegalStateException.class,
            () ->
                JobTypes.served(
                    beans(new ChecksumHandler()),
                    Optional.of(List.of("resize")),
                    1,
                    t -> Optional.empty()));
    assertTrue(
        unknown.getMessage().contains("WORKER_TYPES names resize, but no handler does it"),
        unknown.getMessage());
  }
}
