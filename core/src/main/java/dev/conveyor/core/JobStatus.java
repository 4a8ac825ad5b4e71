package dev.conveyor.core;

import java.util.Locale;

/**
 * Where a job is in its life: pending → working → worked, or failed after its last attempt, or
 * cancelled (pending, delayed or working) by whoever holds its cancel token.
 */
public enum JobStatus {
  PENDING,
  WORKING,
  WORKED,
  FAILED,
  CANCELLED;

  /** The word stored in Redis and shown in the API. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** True for the states a job never leaves (until it expires or is submitted afresh). */
  public boolean isFinal() {
    return this == WORKED || this == FAILED || this == CANCELLED;
  }

  public static JobStatus fromWire(String word) {
    return valueOf(word.toUpperCase(Locale.ROOT));
  }
}
