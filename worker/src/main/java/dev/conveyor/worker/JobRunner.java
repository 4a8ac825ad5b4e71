package dev.conveyor.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.ClaimedJob;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one attempt of a job's handler, on the calling (virtual) thread, and says what it came to:
 * the result as JSON, or the failure's text. JOB_TIMEOUT is kept by one watchdog thread that
 * interrupts a handler running too long; the attempt then fails as timed out.
 */
final class JobRunner {

  /** Longest error text stored with a failed attempt. */
  static final int MAX_ERROR_LENGTH = 1_000;

  private final JobHandler handler;
  private final ObjectMapper json;
  private final Duration jobTimeout;
  // interrupts handlers that outlive JOB_TIMEOUT; one daemon thread for all handlers
  private final ScheduledThreadPoolExecutor watchdog =
      new ScheduledThreadPoolExecutor(
          1, Thread.ofPlatform().name("job-timeout").daemon().factory());

  JobRunner(JobHandler handler, ObjectMapper json, Duration jobTimeout) {
    this.handler = handler;
    this.json = json;
    this.jobTimeout = jobTimeout;
    // a finished attempt's timer leaves the queue at once: by default a cancelled one stays until
    // its delay elapses, so fast jobs under a long JOB_TIMEOUT would pile up millions of them
    watchdog.setRemoveOnCancelPolicy(true);
  }

  /** Timers of attempts under way (one per running attempt when JOB_TIMEOUT is set). */
  int pendingTimers() {
    return watchdog.getQueue().size();
  }

  /**
   * One attempt. Null when the thread was interrupted by a stop (not by JOB_TIMEOUT): the job then
   * stays listed and is re-queued, and the interrupt flag is set again.
   */
  OutcomeWriter.Outcome run(ClaimedJob job) {
    Deadline deadline = Deadline.start(watchdog, jobTimeout);
    long started = System.nanoTime();
    try {
      Object result = handler.handle(job);
      deadline.cancel();
      if (deadline.expired()) {
        // the handler ignored the interrupt and returned late: the attempt still counts as failed
        Thread.interrupted();
        return failed(deadline.failure());
      }
      return new OutcomeWriter.Worked(json.writeValueAsString(result));
    } catch (InterruptedException e) {
      deadline.cancel();
      if (deadline.expired()) {
        Thread.interrupted(); // ours, not a stop's: record the failed attempt
        return failed(deadline.failure());
      }
      Thread.currentThread().interrupt();
      return null;
    } catch (Exception e) {
      deadline.cancel();
      return failed(deadline.expired() ? deadline.failure() : e);
    } finally {
      WorkerMetrics.HANDLER.record(Duration.ofNanos(System.nanoTime() - started));
    }
  }

  /** Stops the watchdog (at the worker's stop). */
  void close() {
    watchdog.shutdownNow();
  }

  private static OutcomeWriter.Failed failed(Exception e) {
    String text =
        e instanceof JsonProcessingException
            ? "the handler's result cannot be written as JSON"
            : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return new OutcomeWriter.Failed(
        text.length() > MAX_ERROR_LENGTH ? text.substring(0, MAX_ERROR_LENGTH) : text);
  }

  /**
   * JOB_TIMEOUT for one attempt: interrupts the handler's thread when it runs out. Firing and
   * cancelling exclude each other, so no interrupt arrives after {@link #cancel}.
   */
  private static final class Deadline {
    private final Duration limit;
    private final Thread handlerThread = Thread.currentThread();
    private ScheduledFuture<?> timer;
    private boolean fired;
    private boolean cancelled;

    private Deadline(Duration limit) {
      this.limit = limit;
    }

    static Deadline start(ScheduledExecutorService watchdog, Duration limit) {
      Deadline deadline = new Deadline(limit);
      if (limit.isPositive()) {
        deadline.timer = watchdog.schedule(deadline::fire, limit.toMillis(), TimeUnit.MILLISECONDS);
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
      return new TimeoutException(
          "the handler ran longer than JOB_TIMEOUT ("
              + limit.toMillis()
              + " ms) and was interrupted");
    }
  }
}
