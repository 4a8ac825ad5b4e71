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
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * One claim loop of a worker. Duties, in order: wait for the start-up recovery; pop the next id
 * into this worker's processing list on a connection of its own (BLMOVE, short timeout, so a stop
 * is prompt); claim it under a fresh lease; run the handler; record the result or the failure,
 * retrying that write until Redis takes it so a finished result survives an outage.
 */
final class ClaimLoop implements Runnable {

  private static final Logger LOG = Logger.getLogger(ClaimLoop.class);

  /** How often a paused loop looks whether it may claim again. */
  static final java.time.Duration PAUSED_POLL = java.time.Duration.ofMillis(100);

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
  private RedisConnection connection;

  ClaimLoop(
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
  }

  @Override
  public void run() {
    try {
      while (worker.running() && !recovered.await(100, TimeUnit.MILLISECONDS)) {
        // the housekeeper is putting back this name's leftovers first
      }
      while (worker.running()) {
        if (worker.paused()) {
          Worker.pause(PAUSED_POLL);
          continue;
        }
        worker.popStarted();
        Optional<String> id;
        try {
          id = takeNext();
        } finally {
          worker.popEnded();
        }
        if (id.isEmpty()) {
          continue;
        }
        long taken = System.nanoTime();
        Optional<ClaimedJob> job =
            untilStored(() -> queue.claim(id.get(), settings.node(), UUID.randomUUID().toString()));
        WorkerMetrics.CLAIM.record(Duration.ofNanos(System.nanoTime() - taken));
        if (job == null) {
          break; // stopping while Redis is away: the id stays listed and is re-queued at stop
        }
        job.ifPresent(this::work);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      dropConnection();
    }
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

  private void work(ClaimedJob job) {
    worker.jobStarted();
    boolean succeeded = false;
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
      Boolean completed =
          untilStored(() -> queue.complete(job, settings.node(), result, settings.resultTtl()));
      succeeded = Boolean.TRUE.equals(completed);
      (succeeded ? WorkerMetrics.WORKED : WorkerMetrics.FENCED).increment();
      if (Boolean.FALSE.equals(completed)) {
        LOG.warnf(
            "job %s attempt %d: result dropped, the job was recovered and given to another claim",
            job.id(), job.attempt());
      }
    } finally {
      worker.jobEnded(succeeded);
    }
  }

  /**
   * JOB_TIMEOUT for one attempt: interrupts the handler's thread when it runs out. Firing and
   * cancelling exclude each other, so no interrupt arrives after {@link #cancel}.
   */
  private static final class Deadline {
    private final java.time.Duration limit;
    private final Thread handlerThread = Thread.currentThread();
    private java.util.concurrent.ScheduledFuture<?> timer;
    private boolean fired;
    private boolean cancelled;

    private Deadline(java.time.Duration limit) {
      this.limit = limit;
    }

    static Deadline start(Worker worker, java.time.Duration limit) {
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
