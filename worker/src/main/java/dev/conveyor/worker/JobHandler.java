package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;

/**
 * The work itself. Conveyor calls it once per attempt, on a virtual thread of the attempt's own;
 * what it returns is stored as the job's JSON result, what it throws is a failed attempt (retried
 * with backoff, then failed). A handler is a bean that says its type with {@link JobType}; one
 * without does the default type's work. {@code docs/your-own-work.md} shows how to write one.
 *
 * <p>Delivery is at least once: an attempt cut off by a lost worker is run again elsewhere, so what
 * a handler does outside its result must bear being done twice. On a stop past the grace or past
 * JOB_TIMEOUT its thread is interrupted.
 */
@FunctionalInterface
public interface JobHandler {

  /**
   * @param job the claimed job: its id, data and attempt number
   * @return the result, serialised to JSON (a record, a map, a string, …)
   * @throws Exception to fail this attempt; {@link InterruptedException} when the worker stops
   */
  Object handle(ClaimedJob job) throws Exception;
}
