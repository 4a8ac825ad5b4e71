package dev.conveyor.core;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How failures are treated: how many attempts a job gets, how long a retry waits, and how long a
 * failed job is kept for inspection.
 *
 * @param maxAttempts attempts before a throwing job is failed (at least 1)
 * @param backoffBase wait before the first retry; doubles each retry, ±50 % jitter, capped
 * @param failedTtl how long a failed job stays readable
 * @param maxDeadLetters most failed ids kept in the dead-letter list
 * @param maxRecoveries times a job may be recovered from a lost worker before it is failed
 */
public record RetryPolicy(
    int maxAttempts,
    Duration backoffBase,
    Duration failedTtl,
    int maxDeadLetters,
    int maxRecoveries) {

  /** Retries never wait longer than this, whatever the attempt count. */
  static final Duration MAX_BACKOFF = Duration.ofMinutes(10);

  public static final RetryPolicy DEFAULT =
      new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofHours(24), 10_000, 3);

  public RetryPolicy {
    if (maxAttempts < 1 || maxDeadLetters < 1 || maxRecoveries < 1) {
      throw new IllegalArgumentException(
          "MAX_ATTEMPTS, the dead-letter bound and MAX_RECOVERIES must be at least 1");
    }
  }

  /** The wait before the attempt after {@code failedAttempt}, with jitter so retries spread. */
  public Duration backoffAfter(int failedAttempt) {
    if (backoffBase.isZero()) {
      return Duration.ZERO;
    }
    double exponential = backoffBase.toMillis() * Math.pow(2, Math.min(failedAttempt - 1, 20));
    double jittered = exponential * ThreadLocalRandom.current().nextDouble(0.5, 1.5);
    return Duration.ofMillis((long) Math.min(jittered, MAX_BACKOFF.toMillis()));
  }
}
