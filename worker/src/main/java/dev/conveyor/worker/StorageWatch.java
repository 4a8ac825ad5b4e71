package dev.conveyor.worker;

import dev.conveyor.core.StorageUnavailableException;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Tracks whether this worker's Redis answers, for all of its threads at once: one log line when an
 * outage starts and one when it ends (not one per attempt), and a capped exponential backoff
 * between attempts while it lasts. {@link #untilAnswered} is the one loop that repeats a call until
 * Redis takes it (claims, outcomes, start-up recovery).
 */
final class StorageWatch {

  private static final Logger LOG = Logger.getLogger(StorageWatch.class);

  /** First wait after a failure; doubles per failure up to {@link #MAX_BACKOFF}. */
  static final Duration FIRST_BACKOFF = Duration.ofMillis(100);

  /** Longest wait between attempts: a returning Redis is noticed within this. */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  private final String redisUrl;
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicInteger failures = new AtomicInteger();

  StorageWatch(String redisUrl) {
    this.redisUrl = redisUrl.replaceAll("//[^@/]*@", "//***@"); // never log a password
  }

  void answered() {
    failures.set(0);
    if (down.compareAndSet(true, false)) {
      LOG.infof("Redis at %s answers again: claiming work", redisUrl);
    }
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  Duration failed(Throwable cause) {
    WorkerMetrics.REDIS_ERRORS.increment();
    if (down.compareAndSet(false, true)) {
      LOG.warnf(
          "Redis at %s unreachable (%s): is the redis service up? Retrying every %d ms at most;"
              + " finished results are kept until it returns",
          redisUrl, cause.getMessage(), MAX_BACKOFF.toMillis());
    }
    int n = Math.min(failures.incrementAndGet(), 10);
    long millis = Math.min(FIRST_BACKOFF.toMillis() << (n - 1), MAX_BACKOFF.toMillis());
    return Duration.ofMillis(millis);
  }

  /**
   * Runs a call until Redis answers it, backing off while Redis is away; every call repeated here
   * must be safe to repeat after a lost answer (each script's header says how). Null when this
   * thread is interrupted first (a stop): the caller's jobs then stay in the processing list, to be
   * re-queued. Any other failure is thrown.
   */
  <T> T untilAnswered(Supplier<Uni<T>> call) {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        T value = call.get().await().indefinitely();
        answered();
        return value;
      } catch (StorageUnavailableException e) {
        if (!Sleep.interruptibly(failed(e))) {
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

  boolean isDown() {
    return down.get();
  }
}
