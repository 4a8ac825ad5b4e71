package dev.conveyor.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.JobRecovery;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.Store;
import io.vertx.mutiny.redis.client.Redis;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * One worker node's lifecycle (Sidekiq's launcher): it starts and stops its parts and holds the
 * state the ledger shows. Duties, in order: start the {@link Housekeeper} (ledger beats, start-up
 * recovery, promotion of due retries) and the {@link ClaimLoop} (claims, handlers, outcomes); pause
 * and resume claiming on request; on stop, stop claiming, let in-flight jobs finish within the
 * grace, re-queue any that did not ({@code retire-6}) and leave the ledger.
 */
public final class Worker {

  private static final Logger LOG = Logger.getLogger(Worker.class);

  private final JobRecovery recovery;
  private final Ledger ledger;
  private final WorkerSettings settings;
  private final StorageWatch storage;
  private final Housekeeper housekeeper;
  private final ClaimLoop claims;
  private final WorkerFaults faults;
  private final Instant startedAt = Instant.now();
  private volatile boolean running;
  private volatile String state = "running";

  /**
   * @param claimClient a client whose connections the blocking pops may hold
   * @param redisUrl for log lines only
   */
  public Worker(
      Store store,
      Redis claimClient,
      String redisUrl,
      WorkerSettings settings,
      JobHandler handler,
      ObjectMapper json) {
    this.recovery = store.recovery();
    this.ledger = store.ledger();
    this.settings = settings;
    this.storage = new StorageWatch(redisUrl);
    this.housekeeper =
        new Housekeeper(store.queue(), recovery, ledger, settings, storage, this::entry);
    this.claims =
        new ClaimLoop(
            store.queue(),
            claimClient,
            settings,
            new JobRunner(handler, json, settings.jobTimeout()),
            storage,
            housekeeper.recovered());
    this.faults = new WorkerFaults(claims, housekeeper, () -> running = false);
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
    housekeeper.start();
    claims.start();
    LOG.infof(
        "worker %s started: %d handler slot(s), result TTL %s",
        settings.node(), settings.concurrency(), settings.resultTtl());
  }

  public boolean running() {
    return running;
  }

  /** True while claiming is paused (a cluster request); in-flight jobs go on. */
  public boolean paused() {
    return claims.paused();
  }

  /** Stops claiming (see {@link ClaimLoop#pause}); in-flight jobs finish; the ledger: paused. */
  public void pause() {
    synchronized (this) {
      if (!running || claims.paused()) {
        return;
      }
      state = "paused";
    }
    claims.pause();
    LOG.infof("worker %s paused: no new claims until resumed", settings.node());
    housekeeper.beat();
  }

  /** Claims again after {@link #pause}. */
  public synchronized void resume() {
    if (running && claims.paused()) {
      claims.resume();
      state = "running";
      LOG.infof("worker %s resumed", settings.node());
      housekeeper.beat();
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

  /** Stops claiming, lets in-flight jobs end within {@code grace}, re-queues the rest, leaves. */
  public void stop(Duration grace) {
    synchronized (this) {
      if (!running) {
        return;
      }
      running = false;
      state = "draining";
    }
    housekeeper.beat();
    LOG.infof(
        "worker %s stopping: no new claims, %d job(s) in flight, grace %s",
        settings.node(), claims.inFlight(), grace);
    boolean finished = claims.stop(Instant.now().plus(grace));
    housekeeper.stop();
    if (!finished) {
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
        settings.node(), claims.processed(), claims.failed());
  }

  private void requeueOwnJobs() {
    try {
      JobRecovery.Outcome outcome =
          recovery.retire(settings.node(), settings.retryPolicy()).await().indefinitely();
      if (outcome.requeued() + outcome.failed() > 0) {
        LOG.infof(
            "worker %s: %d job(s) back on the queue, %d failed",
            settings.node(), outcome.requeued(), outcome.failed());
      }
    } catch (StorageUnavailableException e) {
      LOG.warnf(
          "worker %s: Redis unavailable at stop; its unfinished jobs stay in its processing"
              + " list and are recovered by the cluster: %s",
          settings.node(), e.getMessage());
    }
  }

  private Map<String, String> entry() {
    Map<String, String> fields = Ledger.identity("worker", startedAt);
    fields.put("state", state);
    fields.put("concurrency", Integer.toString(settings.concurrency()));
    fields.put("in_flight", Long.toString(claims.inFlight()));
    fields.put("processed", Long.toString(claims.processed()));
    fields.put("failed", Long.toString(claims.failed()));
    return fields;
  }

  /** The seam through which in-process tests make this worker fail (never used in production). */
  WorkerFaults faults() {
    return faults;
  }

  public long processed() {
    return claims.processed();
  }

  public long failed() {
    return claims.failed();
  }

  public long inFlight() {
    return claims.inFlight();
  }
}
