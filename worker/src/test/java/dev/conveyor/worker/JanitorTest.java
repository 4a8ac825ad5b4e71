package dev.conveyor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobSpec;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.cluster.ClusterMember;
import dev.conveyor.core.cluster.Duties;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Clustered workers (real JGroups channels, real Redis) whose members die under them. */
@ExtendWith(RedisExtension.class)
class JanitorTest {

  private static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(2);

  /** Works a job; jobs whose data starts with "hold" wait until released (in flight). */
  private static final class Recorder implements JobHandler {
    final Map<String, AtomicInteger> completions = new ConcurrentHashMap<>();
    final Map<String, String> holders = new ConcurrentHashMap<>();
    final CountDownLatch release = new CountDownLatch(1);
    private final String node;

    Recorder(String node) {
      this.node = node;
    }

    @Override
    public Object handle(ClaimedJob job) throws Exception {
      if (job.data().startsWith("hold")) {
        holders.put(job.id(), node);
        release.await();
      }
      completions.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet();
      return Map.of("by", node);
    }
  }

  private static String workerOf(Workers workers, String id) {
    return workers.queue.find(id).await().indefinitely().orElseThrow().fields().get("worker");
  }

  @Test
  void aKilledWorkersJobIsBackOnTheQueueWithinThreeSecondsAndWorkedOnceElsewhere(TestRedis redis)
      throws Exception {
    try (Workers workers = new Workers(redis)) {
      Recorder a = new Recorder("a");
      Recorder b = new Recorder("b");
      Recorder c = new Recorder("c");
      Workers.Node nodeA = workers.startNode("a", DEFAULT_HEARTBEAT, a);
      Workers.Node nodeB = workers.startNode("b", DEFAULT_HEARTBEAT, b);
      Workers.Node nodeC = workers.startNode("c", DEFAULT_HEARTBEAT, c);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> nodeC.cluster().members().size() == 3);
      // a coordinates and runs the janitor; the job goes to b or c, whichever claims it
      nodeA.worker().pause();
      String id = workers.submit("hold: the job in flight");
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "working".equals(workers.status(id)));
      String victim = workerOf(workers, id);
      Workers.Node victimNode = victim.equals("b") ? nodeB : nodeC;
      Recorder survivor = victim.equals("b") ? c : b;
      survivor.release.countDown();
      a.release.countDown();

      long killedAt = System.nanoTime();
      workers.kill(victimNode);
      Awaitility.await()
          .atMost(Duration.ofSeconds(3))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !victim.equals(workerOf(workers, id)));
      System.out.printf(
          "kill -> job recovered in %d ms%n", (System.nanoTime() - killedAt) / 1_000_000);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "worked".equals(workers.status(id)));
      int worked =
          a.completions.getOrDefault(id, new AtomicInteger()).get()
              + survivor.completions.getOrDefault(id, new AtomicInteger()).get();
      assertEquals(1, worked);
      assertEquals(
          "1", redis.call("HGET", new RedisKeys(redis.prefix()).stats(), "recovered").toString());
      assertEquals(List.of(), redis.list(new RedisKeys(redis.prefix()).processing(victim)));
    }
  }

  @Test
  void whenTheCoordinatorIsKilledTheNextMemberTakesOverTheJanitorAndRecoversItsJobs(TestRedis redis)
      throws Exception {
    try (Workers workers = new Workers(redis)) {
      Recorder a = new Recorder("a");
      Recorder b = new Recorder("b");
      Workers.Node nodeA = workers.startNode("a", Duration.ofMillis(500), a);
      Workers.Node nodeB = workers.startNode("b", Duration.ofMillis(500), b);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> nodeB.cluster().members().size() == 2);
      assertTrue(nodeA.cluster().isCoordinator());
      nodeB.worker().pause(); // so that a takes the job
      String id = workers.submit("hold: on the coordinator");
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "a".equals(workerOf(workers, id)));
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  "a"
                      .equals(
                          String.valueOf(
                              redis.call("GET", new RedisKeys(redis.prefix()).janitor()))));
      nodeB.worker().resume();
      b.release.countDown();

      workers.kill(nodeA);
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> nodeB.cluster().isCoordinator());
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "worked".equals(workers.status(id)));
      assertEquals(1, b.completions.get(id).get());
      assertEquals("b", redis.call("GET", new RedisKeys(redis.prefix()).janitor()).toString());
    }
  }

  @Test
  void aShellOlderThanEveryWorkerLeavesTheJanitorToTheOldestWorker(TestRedis redis)
      throws Exception {
    try (Workers workers = new Workers(redis);
        ClusterMember shell =
            new ClusterMember(
                new dev.conveyor.core.cluster.ClusterSettings(
                    "test",
                    "127.0.0.1",
                    0,
                    Optional.empty(),
                    0,
                    Optional.of("test secret"),
                    Duration.ofMillis(300)),
                new dev.conveyor.core.ClusterDirectory(
                    redis.client(), new RedisKeys(redis.prefix()), Workers.TIMEOUT),
                "shell",
                Duties.observer("shell", "shell"))) {
      workers
          .ledger()
          .heartbeat("shell", Duration.ofSeconds(5), Map.of("role", "shell"))
          .await()
          .indefinitely();
      shell.join(); // the oldest member: the JGroups coordinator
      Recorder a = new Recorder("a");
      Recorder b = new Recorder("b");
      Workers.Node nodeA = workers.startNode("a", Duration.ofMillis(300), a);
      Workers.Node nodeB = workers.startNode("b", Duration.ofMillis(300), b);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> shell.members().size() == 3);
      assertTrue(shell.isCoordinator());
      nodeA.worker().pause();
      a.release.countDown();
      String id = workers.submit("hold: b dies under a shell coordinator");
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "b".equals(workerOf(workers, id)));
      nodeA.worker().resume();

      workers.kill(nodeB);
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "worked".equals(workers.status(id)));
      assertEquals(1, a.completions.get(id).get());
      assertEquals("a", redis.call("GET", new RedisKeys(redis.prefix()).janitor()).toString());
    }
  }

  @Test
  void aMemberCutOffFromTheClusterButStillBeatingKeepsItsJobs(TestRedis redis) throws Exception {
    // without Quarkus, the global registry has no registry of its own to count in
    if (Metrics.globalRegistry.getRegistries().isEmpty()) {
      Metrics.addRegistry(new SimpleMeterRegistry());
    }
    double fencedBefore = WorkerMetrics.FENCED.count();
    double recoveredBefore = WorkerMetrics.RECOVERED.count();
    try (Workers workers = new Workers(redis)) {
      Recorder a = new Recorder("a");
      Recorder b = new Recorder("b");
      Workers.Node nodeA = workers.startNode("a", Duration.ofMillis(300), a);
      Workers.Node nodeB = workers.startNode("b", Duration.ofMillis(300), b);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> nodeA.cluster().members().size() == 2);
      nodeA.worker().pause();
      String id = workers.submit("hold: b is cut off");
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "b".equals(workerOf(workers, id)));

      nodeB.cluster().close(); // b leaves the view, but its worker goes on beating in the ledger
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> nodeA.cluster().members().size() == 1);
      // three heartbeats and more: the janitor looks all along, and leaves the job alone
      Awaitility.await()
          .during(Duration.ofMillis(1500))
          .atMost(Duration.ofSeconds(3))
          .until(() -> "working".equals(workers.status(id)) && "b".equals(workerOf(workers, id)));
      b.release.countDown();
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "worked".equals(workers.status(id)));
      assertEquals(1, b.completions.get(id).get());
      assertEquals(0.0, WorkerMetrics.RECOVERED.count() - recoveredBefore, "nothing recovered");
      assertEquals(0.0, WorkerMetrics.FENCED.count() - fencedBefore, "nothing fenced");
    }
  }

  @Test
  void aWorkerThatWasTakenForDeadAndWakesUpCannotOverwriteTheJob(TestRedis redis) throws Exception {
    // without Quarkus, the global registry has no registry of its own to count in
    if (Metrics.globalRegistry.getRegistries().isEmpty()) {
      Metrics.addRegistry(new SimpleMeterRegistry());
    }
    double fencedBefore = WorkerMetrics.FENCED.count();
    double recoveredBefore = WorkerMetrics.RECOVERED.count();
    try (Workers workers = new Workers(redis)) {
      Recorder a = new Recorder("a");
      Recorder b = new Recorder("b");
      Workers.Node nodeA = workers.startNode("a", Duration.ofMillis(300), a);
      Workers.Node nodeB = workers.startNode("b", Duration.ofMillis(300), b);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> nodeA.cluster().members().size() == 2);
      nodeA.worker().pause();
      a.release.countDown();
      String id = workers.submit("hold: b pauses for a long time");
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "b".equals(workerOf(workers, id)));

      // a long pause, as the cluster sees it: no beats, out of the view; b's job thread goes on
      nodeB.worker().faults().stopBeating();
      nodeB.cluster().close();
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "pending".equals(workers.status(id)));
      nodeA.worker().resume();
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "worked".equals(workers.status(id)));

      b.release.countDown(); // b wakes up and finishes its stale attempt
      RedisKeys keys = new RedisKeys(redis.prefix());
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> redis.call("HGET", keys.stats(), "fenced") != null);
      assertEquals("1", redis.call("HGET", keys.stats(), "fenced").toString());
      assertEquals("a", redis.call("HGET", keys.job(id), "worked_by").toString());
      assertEquals("1", redis.call("HGET", keys.stats(), "worked").toString());
      assertEquals(0, nodeB.worker().processed());
      // the same, as Prometheus sees it (both nodes share this JVM's registry); the counter moves
      // when the completer hears the script's answer, just after the stats hash did
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> WorkerMetrics.FENCED.count() - fencedBefore >= 1.0);
      assertEquals(1.0, WorkerMetrics.FENCED.count() - fencedBefore, "conveyor.jobs.fenced");
      assertEquals(
          1.0, WorkerMetrics.RECOVERED.count() - recoveredBefore, "conveyor.jobs.recovered");
    }
  }

  @Test
  void theSweepRecoversAListWhoseOwnerHasNoLedgerEntry(TestRedis redis) throws Exception {
    try (Workers workers = new Workers(redis)) {
      RedisKeys keys = new RedisKeys(redis.prefix());
      String id = workers.submit("orphaned");
      // a worker that died long ago, when no cluster was running: registered, id taken, no entry
      redis.call("SADD", keys.workers(), "ghost");
      workers.queue.claimOne(JobSpec.DEFAULT_TYPE, "ghost", "lease-1").await().indefinitely();
      assertEquals("working", workers.status(id));

      Recorder a = new Recorder("a");
      workers.startNode("a", Duration.ofMillis(300), a);
      Awaitility.await()
          .atMost(Janitor.SWEEP_EVERY.plusSeconds(3))
          .until(() -> "worked".equals(workers.status(id)));
      assertEquals(1, a.completions.get(id).get());
      assertEquals(List.of(), redis.list(keys.processing("ghost")));
      assertEquals(0, redis.call("SISMEMBER", keys.workers(), "ghost").toInteger());
    }
  }

  @Test
  void membersPauseResumeAndDrainAWorkerOnRequest(TestRedis redis) throws Exception {
    try (Workers workers = new Workers(redis)) {
      Workers.Node nodeA = workers.startNode("a", Duration.ofMillis(300), new Recorder("a"));
      Workers.Node nodeB = workers.startNode("b", Duration.ofMillis(300), new Recorder("b"));
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> nodeA.cluster().members().size() == 2);
      nodeA.worker().pause(); // only b claims

      ClusterMember.Reply paused =
          nodeA
              .cluster()
              .ask(WorkerDuties.PAUSE, Optional.of("b"), Duration.ofSeconds(2))
              .getFirst();
      assertEquals("paused", paused.fields().get("state"));
      Awaitility.await()
          .atMost(Duration.ofSeconds(3))
          .until(
              () ->
                  workers.ledger().members().await().indefinitely().stream()
                      .anyMatch(e -> e.name().equals("b") && "paused".equals(e.field("state"))));
      String id = workers.submit("while b is paused");
      Awaitility.await() // several claim waits: nobody may take it
          .during(Duration.ofMillis(600))
          .atMost(Duration.ofSeconds(2))
          .until(() -> "pending".equals(workers.status(id)));

      nodeA.cluster().ask(WorkerDuties.RESUME, Optional.of("b"), Duration.ofSeconds(2));
      assertTrue(nodeA.worker().paused(), "a request for b reaches b only");
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> "worked".equals(workers.status(id)));

      // the counter moves just after the result is stored
      Awaitility.await()
          .atMost(Duration.ofSeconds(2))
          .untilAsserted(
              () -> {
                List<ClusterMember.Reply> stats =
                    nodeA.cluster().ask(Duties.STATS, Optional.empty(), Duration.ofSeconds(2));
                assertEquals(2, stats.size(), stats.toString());
                assertTrue(
                    stats.stream()
                        .anyMatch(
                            r -> r.member().equals("b") && "1".equals(r.fields().get("processed"))),
                    stats.toString());
              });

      nodeA.cluster().ask(WorkerDuties.DRAIN, Optional.of("b"), Duration.ofSeconds(2));
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !nodeB.worker().running());
      Awaitility.await()
          .atMost(Duration.ofSeconds(3))
          .until(
              () ->
                  workers.ledger().members().await().indefinitely().stream()
                      .noneMatch(e -> e.name().equals("b")));
    }
  }
}
