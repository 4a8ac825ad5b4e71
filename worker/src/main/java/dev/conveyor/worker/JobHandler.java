package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;

/**
 * The work itself. Conveyor calls it once per attempt, on a virtual thread of the attempt's own;
 * what it returns is stored as the job's JSON result, what it throws is a failed attempt (retried
 * with backoff, then failed). Replace the default by declaring another {@code JobHandler} bean.
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
