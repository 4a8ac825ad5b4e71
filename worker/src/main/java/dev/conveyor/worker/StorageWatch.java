package dev.conveyor.worker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Tracks whether this worker's Redis answers, for the claimer, handlers and completer at once: one
 * log line when an outage starts and one when it ends (not one per attempt), and a capped
 * exponential backoff between attempts while it lasts.
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

  boolean isDown() {
    return down.get();
  }
}
