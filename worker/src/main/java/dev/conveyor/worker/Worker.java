package dev.conveyor.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.JobRecovery;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.Store;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * One worker node's lifecycle (Sidekiq's launcher): it starts and stops its parts and holds the
 * state the ledger shows. Duties, in order: start the {@link Housekeeper} (ledger beats, start-up
 * recovery, promotion of due jobs) and a {@link ClaimLoop} per type it serves (claims, handlers,
 * outcomes) and the {@link CancelListener} that interrupts a handler whose job was cancelled; pause
 * and resume claiming on request; on stop, stop claiming, let in-flight jobs finish within the
 * grace, re-queue any that did not ({@code retire-7}) and leave the ledger.
 */
public final class Worker {

  private static final Logger LOG = Logger.getLogger(Worker.class);

  private final JobRecovery recovery;
  private final Ledger ledger;
  private final WorkerSettings settings;
  private final StorageWatch storage;
  private final Housekeeper housekeeper;
  private final List<ServedType> types;
  private final List<ClaimLoop> claims;
  // one for all its types: outcomes of every type go in the same completion calls
  private final OutcomeWriter writer;
  private final WorkerFaults faults;
  private final CancelListener cancels;
  private final HeardCancels heard = new HeardCancels();
  private final Instant startedAt = Instant.now();
  private volatile boolean running;
  private volatile String state = "running";

  /** A worker of the default type only, with WORKER_CONCURRENCY slots. */
  public Worker(
      Vertx vertx,
      Store store,
      Redis claimClient,
      String redisUrl,
      WorkerSettings settings,
      JobHandler handler,
      ObjectMapper json) {
    this(
        vertx,
        store,
        claimClient,
        redisUrl,
        settings,
        List.of(ServedType.ofDefault(handler, settings.concurrency())),
        json);
  }

  /**
   * @param claimClient a client whose connections the blocking waits may hold: one per type, and
   *     one more for the cancels' subscription
   * @param redisUrl for log lines only
   * @param types the types it serves, each with its handler and concurrency
   */
  public Worker(
      Vertx vertx,
      Store store,
      Redis claimClient,
      String redisUrl,
      WorkerSettings settings,
      List<ServedType> types,
      ObjectMapper json) {
    if (types.isEmpty()) {
      throw new IllegalArgumentException("a worker serves at least one type");
    }
    this.types = types.stream().sorted(Comparator.comparing(ServedType::type)).toList();
    this.recovery = store.recovery();
    this.ledger = store.ledger();
    this.settings = settings;
    this.storage = new StorageWatch(redisUrl);
    this.housekeeper =
        new Housekeeper(store.queue(), recovery, ledger, settings, storage, this::entry);
    this.writer = new OutcomeWriter(store.queue(), settings, storage);
    this.claims =
        this.types.stream()
            .map(
                served ->
                    new ClaimLoop(
                        store.queue(),
                        claimClient,
                        settings,
                        served,
                        new JobRunner(served.handler(), json, settings.jobTimeout()),
                        storage,
                        writer,
                        housekeeper.recovered(),
                        heard))
            .toList();
    this.faults = new WorkerFaults(claims, housekeeper, this::forget);
    this.cancels =
        new CancelListener(
            vertx,
            claimClient,
            store.queue(),
            settings.node(),
            store.timeout(),
            () -> claims.stream().flatMap(loop -> loop.runningIds().stream()).toList(),
            id -> heard.heard(id, this::interrupt));
  }

  public String node() {
    return settings.node();
  }

  /** Handler slots over all its types. */
  public int concurrency() {
    return types.stream().mapToInt(ServedType::concurrency).sum();
  }

  /** The types it serves, by name. */
  public List<String> types() {
    return types.stream().map(ServedType::type).toList();
  }

  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    housekeeper.start();
    cancels.start();
    writer.start();
    claims.forEach(ClaimLoop::start);
    LOG.infof(
        "worker %s started: types %s, result TTL %s",
        settings.node(),
        types.stream()
            .map(t -> t.type() + " (" + t.concurrency() + " slot(s))")
            .collect(Collectors.joining(", ")),
        settings.resultTtl());
  }

  public boolean running() {
    return running;
  }

  /** True while claiming is paused (a cluster request); in-flight jobs go on. */
  public boolean paused() {
    return claims.getFirst().paused();
  }

  /** Stops claiming (see {@link ClaimLoop#pause}); in-flight jobs finish; the ledger: paused. */
  public void pause() {
    synchronized (this) {
      if (!running || paused()) {
        return;
      }
      state = "paused";
    }
    claims.forEach(ClaimLoop::pause);
    claims.forEach(ClaimLoop::awaitPaused);
    LOG.infof("worker %s paused: no new claims until resumed", settings.node());
    housekeeper.beat();
  }

  /** Claims again after {@link #pause}. */
  public synchronized void resume() {
    if (running && paused()) {
      claims.forEach(ClaimLoop::resume);
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
        settings.node(), inFlight(), grace);
    Instant deadline = Instant.now().plus(grace);
    claims.forEach(ClaimLoop::stopClaiming);
    boolean finished = true;
    for (ClaimLoop loop : claims) {
      finished &= loop.stop(deadline);
    }
    writer.close(Instant.now().plusSeconds(5)); // what waits is written; the rest given up
    housekeeper.stop();
    cancels.close();
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
    LOG.infof("worker %s stopped: %d processed, %d failed", settings.node(), processed(), failed());
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
    fields.put("concurrency", Integer.toString(concurrency()));
    fields.put("types", String.join(",", types()));
    fields.put(
        "type_concurrency",
        types.stream().map(t -> t.type() + "=" + t.concurrency()).collect(Collectors.joining(",")));
    fields.put("in_flight", Long.toString(inFlight()));
    fields.put("processed", Long.toString(processed()));
    fields.put("failed", Long.toString(failed()));
    return fields;
  }

  /** Interrupts the handler of job {@code id}, wherever it runs here; false when none does. */
  private boolean interrupt(String id) {
    boolean found = false;
    for (ClaimLoop loop : claims) {
      found |= loop.cancel(id);
    }
    return found;
  }

  /** A killed process' end: no stop runs, nothing listens. */
  private void forget() {
    running = false;
    cancels.close();
  }

  /** The seam through which in-process tests make this worker fail (never used in production). */
  WorkerFaults faults() {
    return faults;
  }

  public long processed() {
    return claims.stream().mapToLong(ClaimLoop::processed).sum();
  }

  public long failed() {
    return claims.stream().mapToLong(ClaimLoop::failed).sum();
  }

  public long inFlight() {
    return claims.stream().mapToLong(ClaimLoop::inFlight).sum();
  }
}
