package dev.conveyor.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.core.StorageUnavailableException;
import io.vertx.mutiny.redis.client.Redis;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * One worker node: its claimer, handlers and their shared state. Duties, in order: at start, put
 * back whatever its processing list still holds from an earlier life of the same name; run {@code
 * concurrency} jobs at once ({@link Claimer}); move due retries to the queue; on stop, stop
 * claiming, let in-flight jobs finish within the grace, then re-queue any that did not.
 */
public final class Worker {

  private static final Logger LOG = Logger.getLogger(Worker.class);

  /** How often due retries are moved from the delayed set to the queue. */
  static final Duration PROMOTE_EVERY = Duration.ofSeconds(1);

  /** Most retries moved per promotion, so one call stays short. */
  static final int PROMOTE_BATCH = 500;

  /** Everything a worker needs to know, from the config or from a test. */
  public record Settings(
      String node,
      int concurrency,
      Duration claimWait,
      Duration resultTtl,
      RetryPolicy retryPolicy,
      Duration heartbeatInterval,
      Duration jobTimeout) {

    /** Without a job timeout. */
    public Settings(
        String node,
        int concurrency,
        Duration claimWait,
        Duration resultTtl,
        RetryPolicy retryPolicy,
        Duration heartbeatInterval) {
      this(node, concurrency, claimWait, resultTtl, retryPolicy, heartbeatInterval, Duration.ZERO);
    }
  }

  private final JobQueue queue;
  private final Ledger ledger;
  private final Redis claimClient;
  private final Settings settings;
  private final JobHandler handler;
  private final ObjectMapper json;
  private final StorageWatch storage;
  private final CountDownLatch recovered = new CountDownLatch(1);
  private final AtomicLong processed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();
  // interrupts handlers that outlive JOB_TIMEOUT; one daemon thread for all handlers
  private final java.util.concurrent.ScheduledExecutorService watchdog =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("job-timeout").daemon().factory());
  private final java.util.concurrent.atomic.AtomicInteger popping =
      new java.util.concurrent.atomic.AtomicInteger();
  private Claimer claimer;
  private Thread claimerThread;
  private final Instant startedAt = Instant.now();
  private volatile boolean running;
  private volatile boolean paused;
  private volatile boolean beating = true;
  private volatile String state = "running";
  private Thread housekeeper;

  /**
   * @param queue the queue protocol, over the pooled client
   * @param claimClient a client whose connections the blocking pops may hold (one per loop)
   * @param redisUrl for log lines only
   */
  public Worker(
      JobQueue queue,
      Ledger ledger,
      Redis claimClient,
      String redisUrl,
      Settings settings,
      JobHandler handler,
      ObjectMapper json) {
    this.queue = queue;
    this.ledger = ledger;
    this.claimClient = claimClient;
    this.settings = settings;
    this.handler = handler;
    this.json = json;
    this.storage = new StorageWatch(redisUrl);
    io.micrometer.core.instrument.Gauge.builder(
            "conveyor.jobs.in_flight", inFlight, AtomicLong::get)
        .description("jobs this worker is working now")
        .tag("node", settings.node())
        .register(io.micrometer.core.instrument.Metrics.globalRegistry);
  }

  public String node() {
    return settings.node();
  }

  public int concurrency() {
    return settings.concurrency();
  }

  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    housekeeper = Thread.ofPlatform().name("housekeeper").daemon().start(this::housekeep);
    claimer = new Claimer(this, queue, claimClient, settings, handler, json, storage, recovered);
    claimerThread = Thread.ofVirtual().name("claimer").start(claimer);
    LOG.infof(
        "worker %s started: %d handler slot(s), result TTL %s",
        settings.node(), settings.concurrency(), settings.resultTtl());
  }

  public boolean running() {
    return running;
  }

  /** True while claiming is paused (a cluster request); in-flight jobs go on. */
  public boolean paused() {
    return paused;
  }

  /**
   * Stops claiming new jobs; in-flight jobs finish. Returns once no loop is still waiting in a pop
   * (at most one CLAIM_WAIT), so nothing is claimed after it returns; a job such a pop took is
   * worked as in-flight. The ledger shows {@code paused}.
   */
  public void pause() {
    synchronized (this) {
      if (!running || paused) {
        return;
      }
      paused = true;
      state = "paused";
    }
    Instant deadline = Instant.now().plus(settings.claimWait()).plusSeconds(1);
    while (popping.get() > 0 && Instant.now().isBefore(deadline) && pause(Duration.ofMillis(10))) {
      // a pop under way ends within its claim wait
    }
    LOG.infof("worker %s paused: no new claims until resumed", settings.node());
    beat();
  }

  void popStarted() {
    popping.incrementAndGet();
  }

  void popEnded() {
    popping.decrementAndGet();
  }

  /** Claims again after {@link #pause}. */
  public synchronized void resume() {
    if (running && paused) {
      paused = false;
      state = "running";
      LOG.infof("worker %s resumed", settings.node());
      beat();
    }
  }

  /** running, paused or draining, as the ledger shows it. */
  public String state() {
    return state;
  }

  /** True while the last Redis call of this worker failed. */
  public boolean storageDown() {
    return storage.isDown();
  }

  /**
   * Stops claiming, waits up to {@code grace} for in-flight jobs, interrupts those still running,
   * and re-queues what the processing list still holds. Returns when every job has ended.
   */
  public void stop(Duration grace) {
    synchronized (this) {
      if (!running) {
        return;
      }
      running = false;
      state = "draining";
    }
    beat();
    LOG.infof(
        "worker %s stopping: no new claims, %d job(s) in flight, grace %s",
        settings.node(), inFlight.get(), grace);
    Instant deadline = Instant.now().plus(grace);
    joinUntil(claimerThread, deadline);
    boolean interrupted = !claimer.awaitIdle(deadline) || claimerThread.isAlive();
    if (interrupted) {
      claimerThread.interrupt();
      claimer.interruptHandlers();
      claimer.awaitIdle(Instant.now().plusSeconds(5));
      joinUntil(claimerThread, Instant.now().plus(settings.claimWait()).plusSeconds(5));
    }
    claimer.closeCompleter(Instant.now().plusSeconds(5));
    housekeeper.interrupt();
    watchdog.shutdownNow();
    if (interrupted) {
      LOG.warnf(
          "worker %s: grace of %s ran out; re-queueing unfinished jobs", settings.node(), grace);
    }
    requeueOwnJobs();
    try {
      ledger.leave(settings.node()).await().indefinitely();
    } catch (StorageUnavailableException e) {
      // its entry expires by itself within three heartbeats
    }
    LOG.infof(
        "worker %s stopped: %d processed, %d failed",
        settings.node(), processed.get(), failed.get());
  }

  /**
   * Ends every thread at once, without re-queueing its jobs or leaving the ledger: what a killed
   * process looks like from outside. For in-process tests of the janitor only.
   */
  void vanish() {
    synchronized (this) {
      running = false;
    }
    claimerThread.interrupt();
    claimer.vanish();
    housekeeper.interrupt();
  }

  private void requeueOwnJobs() {
    try {
      JobQueue.Recovery recovery =
          queue
              .recover(
                  settings.node(), settings.retryPolicy(), JobQueue.Owner.STOPPING, Duration.ZERO)
              .await()
              .indefinitely();
      if (recovery.requeued() + recovery.failed() > 0) {
        LOG.infof(
            "worker %s: %d job(s) back on the queue, %d failed",
            settings.node(), recovery.requeued(), recovery.failed());
      }
    } catch (StorageUnavailableException e) {
      LOG.warnf(
          "worker %s: Redis unavailable at stop; its unfinished jobs stay in its processing"
              + " list and are recovered by the cluster: %s",
          settings.node(), e.getMessage());
    }
  }

  private static void joinUntil(Thread thread, Instant deadline) {
    long millis = Duration.between(Instant.now(), deadline).toMillis();
    try {
      if (millis > 0) {
        thread.join(millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Start-up recovery of this name's leftovers, then every second: the ledger heartbeat when due
   * and the promotion of due retries.
   */
  private void housekeep() {
    beat();
    while (running && recovered.getCount() > 0) {
      try {
        JobQueue.Recovery recovery =
            queue
                .recover(
                    settings.node(), settings.retryPolicy(), JobQueue.Owner.STARTING, Duration.ZERO)
                .await()
                .indefinitely();
        storage.answered();
        if (recovery.requeued() > 0) {
          LOG.infof(
              "worker %s: %d job(s) left from an earlier run back on the queue",
              settings.node(), recovery.requeued());
        }
        recovered.countDown();
      } catch (StorageUnavailableException e) {
        pause(storage.failed(e));
      }
    }
    // beats keep their interval exactly: the janitor reads a missed beat as a lost worker
    Instant nextBeat = Instant.now().plus(settings.heartbeatInterval());
    Instant nextPromotion = Instant.now();
    while (running) {
      if (!Instant.now().isBefore(nextBeat)) {
        nextBeat = nextBeat.plus(settings.heartbeatInterval());
        beat();
        if (nextBeat.isBefore(Instant.now())) { // a slow Redis: no burst of late beats
          nextBeat = Instant.now().plus(settings.heartbeatInterval());
        }
      }
      if (!Instant.now().isBefore(nextPromotion)) {
        nextPromotion = Instant.now().plus(PROMOTE_EVERY);
        try {
          queue.promoteDue(PROMOTE_BATCH).await().indefinitely();
        } catch (StorageUnavailableException e) {
          // the claimer and completer report outages; retries wait until Redis returns
        }
      }
      Instant next = nextBeat.isBefore(nextPromotion) ? nextBeat : nextPromotion;
      Duration wait = Duration.between(Instant.now(), next);
      if (!wait.isNegative() && !pause(wait)) {
        return;
      }
    }
  }

  private Map<String, String> entry() {
    Map<String, String> fields = Ledger.identity("worker", startedAt);
    fields.put("state", state);
    fields.put("concurrency", Integer.toString(settings.concurrency()));
    fields.put("in_flight", Long.toString(inFlight.get()));
    fields.put("processed", Long.toString(processed.get()));
    fields.put("failed", Long.toString(failed.get()));
    return fields;
  }

  /**
   * Stops the ledger beats while everything else goes on: what a long GC pause or a worker cut off
   * from Redis' heartbeat looks like to the janitor. For in-process tests of fencing only.
   */
  void stopBeating() {
    beating = false;
  }

  /** Writes this worker's ledger entry; a failed beat is only late, the next one catches up. */
  private void beat() {
    if (!beating) {
      return;
    }
    try {
      ledger
          .heartbeat(settings.node(), settings.heartbeatInterval(), entry())
          .await()
          .indefinitely();
    } catch (StorageUnavailableException e) {
      // the claimer and completer report the outage
    }
  }

  static boolean pause(Duration duration) {
    try {
      TimeUnit.MILLISECONDS.sleep(duration.toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  java.util.concurrent.ScheduledExecutorService watchdog() {
    return watchdog;
  }

  void jobStarted() {
    inFlight.incrementAndGet();
  }

  void jobEnded(boolean succeeded) {
    inFlight.decrementAndGet();
    (succeeded ? processed : failed).incrementAndGet();
  }

  public long processed() {
    return processed.get();
  }

  public long failed() {
    return failed.get();
  }

  public long inFlight() {
    return inFlight.get();
  }
}
