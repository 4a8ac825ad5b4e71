package dev.conveyor.core;

import java.time.Duration;

/**
 * REDIS_WAIT_REPLICAS and REDIS_WAIT_TIMEOUT: how many replicas must have a write before it counts.
 * With {@code replicas} ≥ 1, a submission (the API's 200) and a completion (the worker's
 * "recorded") are followed, on the same connection, by {@code WAIT replicas timeout}; fewer
 * confirmations in time is a {@link StorageUnavailableException} (503 at the API: the client
 * retries, and the job is deduplicated). So what was acknowledged is on a replica when a failover
 * promotes one.
 */
public record Durability(int replicas, Duration timeout) {

  /** No waiting: a write counts once the master has it (the default). */
  public static final Durability NONE = new Durability(0, Duration.ZERO);

  public Durability {
    if (replicas < 0) {
      throw new IllegalArgumentException("REDIS_WAIT_REPLICAS must be 0 or more, got " + replicas);
    }
    if (replicas > 0 && (timeout.isNegative() || timeout.isZero())) {
      // WAIT n 0 would block until n replicas answer, however long that takes
      throw new IllegalArgumentException("REDIS_WAIT_TIMEOUT must be above 0, got " + timeout);
    }
  }

  public boolean waits() {
    return replicas > 0;
  }
}
