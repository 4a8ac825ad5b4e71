package dev.conveyor.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.StorageUnavailableException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A worker's claiming and working. One claimer (a virtual thread, as are the completer and the
 * handlers, so that handing work between them rarely switches OS threads) fills the free handler
 * slots (WORKER_CONCURRENCY): with jobs waiting, one {@code claim-4} call claims as many as there
 * are free slots; with none, it waits on a connection of its own in a blocking pop (BLMOVE, short
 * timeout, so a stop is prompt) and claims what it took. Each claimed job runs its handler on a
 * virtual thread of its own. A slot is free again when the handler returns, so the next claim does
 * not wait for the previous results' round trip; the result then waits for the {@link Completer} to
 * record it. At most WORKER_CONCURRENCY results wait at once: past that, handlers wait to hand
 * theirs over. Until its outcome is recorded a job stays in this worker's processing list.
 */
final class Claimer implements Runnable {

  private static final Logger LOG = Logger.getLogger(Claimer.class);

  /** How often a paused or full claimer looks whether it may claim again. */
  static final Duration PAUSED_POLL = Duration.ofMillis(100);

  /** Most jobs one claim call takes, so one script run stays short. */
  static final int MAX_BATCH = 64;

  /** Longest error text stored with a failed attempt. */
  static final int MAX_ERROR_LENGTH = 1_000;

  private final Worker worker;
  private final JobQueue queue;
  private final Redis claimClient;
  private final Worker.Settings settings;
  private final JobHandler handler;
  private final ObjectMapper json;
  private final StorageWatch storage;
  private final CountDownLatch recovered;
  private final Completer completer;
  private final Semaphore slots;
  private final Semaphore unrecorded;
  private final Set<Thread> handlers = ConcurrentHashMap.newKeySet();
  private final Thread.Builder handlerThreads = Thread.ofVirtual().name("job-", 1);
  private RedisConnection connection;

  Claimer(
      Worker worker,
      JobQueue queue,
      Redis claimClient,
      Worker.Settings settings,
      JobHandler handler,
      ObjectMapper json,
      StorageWatch storage,
      CountDownLatch recovered) {
    this.worker = worker;
    this.queue = queue;
    this.claimClient = claimClient;
    this.settings = settings;
    this.handler = handler;
    this.json = json;
    this.storage = storage;
    this.recovered = recovered;
    this.completer = new Completer(queue, settings, storage);
    this.slots = new Semaphore(settings.concurrency());
    this.unrecorded = new Semaphore(settings.concurrency());
  }

  @Override
  public void run() {
    completer.start();
    try {
      while (worker.running() && !recovered.await(100, TimeUnit.MILLISECONDS)) {
        // the housekeeper is putting back this name's leftovers first
      }
      boolean queueHadMore = false;
      while (worker.running()) {
        if (worker.paused()) {
          Worker.pause(PAUSED_POLL);
          continue;
        }
        if (!slots.tryAcquire(PAUSED_POLL.toMillis(), TimeUnit.MILLISECONDS)) {
          continue; // every slot busy
        }
        int drained = slots.drainPermits();
        int extra = Math.min(drained, MAX_BATCH - 1);
        slots.release(drained - extra);
        int wanted = 1 + extra;
        List<ClaimedJob> jobs;
        worker.popStarted();
        try {
          jobs = claimSome(wanted, queueHadMore);
        } finally {
          worker.popEnded();
        }
        if (jobs == null) {
          slots.release(wanted);
          break; // stopping while Redis is away: a taken id stays listed and is re-queued at stop
        }
        queueHadMore = jobs.size() == wanted;
        slots.release(wanted - jobs.size());
        for (ClaimedJob job : jobs) {
          worker.jobStarted();
          handlerThreads.start(() -> work(job));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      dropConnection();
    }
  }

  /**
   * Claims up to {@code wanted} jobs: at once when the queue had more last time, else after a
   * blocking pop. Empty when the pop's wait ran out or Redis is away; null when interrupted.
   */
  private List<ClaimedJob> claimSome(int wanted, boolean queueHadMore) {
    if (queueHadMore) {
      List<ClaimedJob> jobs = claim(Optional.empty(), wanted);
      if (jobs == null || !jobs.isEmpty()) {
        return jobs;
      }
    }
    Optional<String> id = takeNext();
    if (id.isEmpty()) {
      return List.of();
    }
    long taken = System.nanoTime();
    List<ClaimedJob> jobs = claim(id, wanted);
    WorkerMetrics.CLAIM.record(Duration.ofNanos(System.nanoTime() - taken));
    return jobs;
  }

  /** One claim call, repeated until Redis answers; a repeat also answers what a lost call took. */
  private List<ClaimedJob> claim(Optional<String> first, int wanted) {
    String leasePrefix = JobQueue.newLeasePrefix();
    boolean[] repeat = {false};
    return untilStored(
        () -> {
          Uni<List<ClaimedJob>> call =
              queue.claim(first, settings.node(), wanted, leasePrefix, repeat[0]);
          repeat[0] = true;
          return call;
        });
  }

  private Optional<String> takeNext() {
    try {
      if (connection == null) {
        connection =
            claimClient
                .connect()
                .ifNoItem()
                .after(settings.claimWait())
                .fail()
                .await()
                .indefinitely();
      }
      Optional<String> id =
          queue.takeNext(connection, settings.node(), settings.claimWait()).await().indefinitely();
      storage.answered();
      return id;
    } catch (RuntimeException e) {
      dropConnection();
      Worker.pause(storage.failed(e));
      return Optional.empty();
    }
  }

  /** How many claimed jobs have not yet got their outcome recorded. */
  int busy() {
    return 2 * settings.concurrency() - slots.availablePermits() - unrecorded.availablePermits();
  }

  /** Waits until every claimed job has its outcome, or {@code deadline}; true when all did. */
  boolean awaitIdle(Instant deadline) {
    while (busy() > 0 && Instant.now().isBefore(deadline)) {
      if (!Worker.pause(Duration.ofMillis(10))) {
        return false;
      }
    }
    return busy() == 0;
  }

  /** Interrupts the handlers still running: their jobs stay listed and are re-queued at stop. */
  void interruptHandlers() {
    handlers.forEach(Thread::interrupt);
  }

  /** Writes the results still waiting, until {@code deadline}. */
  void closeCompleter(Instant deadline) {
    completer.close(deadline);
  }

  /** Ends everything at once, recording nothing more: a killed process, for tests. */
  void vanish() {
    completer.abandon();
    interruptHandlers();
  }

  private void work(ClaimedJob job) {
    handlers.add(Thread.currentThread());
    boolean handedOver = false;
    Deadline deadline = Deadline.start(worker, settings.jobTimeout());
    try {
      String result;
      long started = System.nanoTime();
      try {
        result = json.writeValueAsString(handler.handle(job));
      } catch (InterruptedException e) {
        if (deadline.expired()) {
          Thread.interrupted(); // ours, not a stop's: record the failed attempt
          recordFailure(job, deadline.failure());
          return;
        }
        Thread.currentThread().interrupt();
        return; // the grace ran out: the job stays listed and is re-queued at stop
      } catch (Exception e) {
        recordFailure(job, deadline.expired() ? deadline.failure() : e);
        return;
      } finally {
        deadline.cancel();
        WorkerMetrics.HANDLER.record(Duration.ofNanos(System.nanoTime() - started));
      }
      if (deadline.expired()) {
        // the handler ignored the interrupt and returned late: the attempt still counts as failed
        Thread.interrupted();
        recordFailure(job, deadline.failure());
        return;
      }
      try {
        unrecorded.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return; // the grace ran out: the job stays listed and is re-queued at stop
      }
      handedOver = true;
      completer.complete(job, result, recorded -> recorded(job, recorded));
    } finally {
      handlers.remove(Thread.currentThread());
      if (!handedOver) {
        worker.jobEnded(false);
      }
      slots.release();
    }
  }

  /** The outcome of a handed-over result, on the completer's thread. */
  private void recorded(ClaimedJob job, Boolean recorded) {
    unrecorded.release();
    worker.jobEnded(Boolean.TRUE.equals(recorded));
    if (recorded == null) {
      return; // given up at a stop: the job stays listed and is re-queued
    }
    (recorded ? WorkerMetrics.WORKED : WorkerMetrics.FENCED).increment();
    if (!recorded) {
      LOG.warnf(
          "job %s attempt %d: result dropped, the job was recovered and given to another claim",
          job.id(), job.attempt());
    }
  }

  /**
   * JOB_TIMEOUT for one attempt: interrupts the handler's thread when it runs out. Firing and
   * cancelling exclude each other, so no interrupt arrives after {@link #cancel}.
   */
  private static final class Deadline {
    private final Duration limit;
    private final Thread handlerThread = Thread.currentThread();
    private java.util.concurrent.ScheduledFuture<?> timer;
    private boolean fired;
    private boolean cancelled;

    private Deadline(Duration limit) {
      this.limit = limit;
    }

    static Deadline start(Worker worker, Duration limit) {
      Deadline deadline = new Deadline(limit);
      if (limit.isPositive()) {
        deadline.timer =
            worker.watchdog().schedule(deadline::fire, limit.toMillis(), TimeUnit.MILLISECONDS);
      }
      return deadline;
    }

    private synchronized void fire() {
      if (!cancelled) {
        fired = true;
        handlerThread.interrupt();
      }
    }

    synchronized boolean expired() {
      return fired;
    }

    synchronized void cancel() {
      cancelled = true;
      if (timer != null) {
        timer.cancel(false);
      }
    }

    Exception failure() {
      return new java.util.concurrent.TimeoutException(
          "the handler ran longer than JOB_TIMEOUT ("
              + limit.toMillis()
              + " ms) and was interrupted");
    }
  }

  private void recordFailure(ClaimedJob job, Exception e) {
    String error = describe(e);
    JobQueue.FailOutcome outcome =
        untilStored(() -> queue.fail(job, settings.node(), error, settings.retryPolicy()));
    if (outcome != null) {
      (outcome == JobQueue.FailOutcome.FENCED
              ? WorkerMetrics.FENCED
              : WorkerMetrics.FAILED_ATTEMPTS)
          .increment();
      LOG.infof("job %s attempt %d failed (%s): %s", job.id(), job.attempt(), outcome, error);
    }
  }

  private static String describe(Exception e) {
    String text =
        e instanceof JsonProcessingException
            ? "the handler's result cannot be written as JSON"
            : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return text.length() > MAX_ERROR_LENGTH ? text.substring(0, MAX_ERROR_LENGTH) : text;
  }

  /**
   * Runs a write until Redis takes it, backing off while it is away. Null when this thread is
   * interrupted first (the stop's grace ran out): the job then stays in the processing list.
   */
  private <T> T untilStored(Supplier<Uni<T>> write) {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        T value = write.get().await().indefinitely();
        storage.answered();
        return value;
      } catch (StorageUnavailableException e) {
        if (!Worker.pause(storage.failed(e))) {
          return null;
        }
      } catch (RuntimeException e) {
        if (e.getCause() instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          return null;
        }
        throw e;
      }
    }
    return null;
  }

  private void dropConnection() {
    if (connection != null) {
      RedisConnection closing = connection;
      connection = null;
      closing.close().subscribe().with(ok -> {}, failure -> {});
    }
  }
}
