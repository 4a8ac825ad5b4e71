package dev.conveyor.worker;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobRecovery;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.StorageUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A worker's housekeeping thread (Sidekiq's heartbeat). Duties, in order: beat into the ledger at
 * once; put back what an earlier life of the same name left in its processing list ({@code
 * enlist-7}), which the claim loop waits for; then, every HEARTBEAT_INTERVAL, the ledger beat, and
 * every {@link #PROMOTE_EVERY} the promotion of due jobs (retries, delayed jobs) to their queues.
 */
final class Housekeeper {

  private static final Logger LOG = Logger.getLogger(Housekeeper.class);

  /**
   * How often due jobs (retries, delayed jobs) are moved from the delayed set to their queues: a
   * job is claimable within this (plus a claim) of its time. One cheap call when none is due.
   */
  static final Duration PROMOTE_EVERY = Duration.ofMillis(50);

  /** Most retries moved per promotion, so one call stays short. */
  static final int PROMOTE_BATCH = 500;

  private final JobQueue queue;
  private final JobRecovery recovery;
  private final Ledger ledger;
  private final WorkerSettings settings;
  private final StorageWatch storage;
  private final Supplier<Map<String, String>> entry;
  private final CountDownLatch recovered = new CountDownLatch(1);
  private final Thread thread =
      Thread.ofPlatform().name("housekeeper").daemon().unstarted(this::run);
  private volatile boolean beating = true;

  /**
   * @param entry this worker's ledger fields now (identity, state and counters)
   */
  Housekeeper(
      JobQueue queue,
      JobRecovery recovery,
      Ledger ledger,
      WorkerSettings settings,
      StorageWatch storage,
      Supplier<Map<String, String>> entry) {
    this.queue = queue;
    this.recovery = recovery;
    this.ledger = ledger;
    this.settings = settings;
    this.storage = storage;
    this.entry = entry;
  }

  /** Counted down once the start-up recovery is done; the claim loop waits for it. */
  CountDownLatch recovered() {
    return recovered;
  }

  void start() {
    thread.start();
  }

  void stop() {
    thread.interrupt();
  }

  /**
   * Stops the ledger beats while everything else goes on (see {@link WorkerFaults#stopBeating}).
   */
  void stopBeating() {
    beating = false;
  }

  /** Writes this worker's ledger entry now; a failed beat is only late, the next one catches up. */
  void beat() {
    if (!beating) {
      return;
    }
    try {
      ledger
          .heartbeat(settings.node(), settings.heartbeatInterval(), entry.get())
          .await()
          .indefinitely();
    } catch (StorageUnavailableException e) {
      // the claimer and the outcome writer report the outage
    }
  }

  private void run() {
    try {
      keepHouse();
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof InterruptedException)) {
        throw e;
      }
      // stopped while a beat or a promotion waited for Redis: its answer no longer matters
    }
  }

  private void keepHouse() {
    beat();
    JobRecovery.Outcome leftovers =
        storage.untilAnswered(() -> recovery.enlist(settings.node(), settings.retryPolicy()));
    if (leftovers == null) {
      return; // stopped before Redis answered
    }
    if (leftovers.requeued() > 0) {
      LOG.infof(
          "worker %s: %d job(s) left from an earlier run back on the queue",
          settings.node(), leftovers.requeued());
    }
    recovered.countDown();
    // beats keep their interval exactly: the janitor reads a missed beat as a lost worker
    Instant nextBeat = Instant.now().plus(settings.heartbeatInterval());
    Instant nextPromotion = Instant.now();
    while (!Thread.currentThread().isInterrupted()) {
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
          // the claimer and the outcome writer report outages; retries wait until Redis returns
        }
      }
      Instant next = nextBeat.isBefore(nextPromotion) ? nextBeat : nextPromotion;
      Duration wait = Duration.between(Instant.now(), next);
      if (!wait.isNegative() && !Sleep.interruptibly(wait)) {
        return;
      }
    }
  }
}
