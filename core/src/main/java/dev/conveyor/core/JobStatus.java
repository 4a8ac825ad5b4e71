package dev.conveyor.core;

import java.util.Locale;

/** Where a job is in its life: pending → working → worked, or failed after its last attempt. */
public enum JobStatus {
  PENDING,
  WORKING,
  WORKED,
  FAILED;

  /** The word stored in Redis and shown in the API. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static JobStatus fromWire(String word) {
    return valueOf(word.toUpperCase(Locale.ROOT));
  }
}
