package dev.conveyor.worker;

import dev.conveyor.core.cluster.Duties;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a worker answers the cluster: its counters for {@code stats}, and the worker's own verbs,
 * {@link #PAUSE}, {@link #RESUME} and {@link #DRAIN}, on request.
 */
final class WorkerDuties implements Duties {

  /** Stop claiming; in-flight jobs finish. */
  static final String PAUSE = "pause";

  /** Claim again after a pause. */
  static final String RESUME = "resume";

  /** Finish in-flight jobs, leave the cluster and exit. */
  static final String DRAIN = "drain";

  private final Worker worker;
  private final Runnable drain;
  private final Instant startedAt = Instant.now();

  /**
   * @param drain stops the worker in an orderly way and ends the process, off the calling thread
   */
  WorkerDuties(Worker worker, Runnable drain) {
    this.worker = worker;
    this.drain = drain;
  }

  @Override
  public Map<String, String> answer(String verb) {
    switch (verb) {
      case PAUSE -> worker.pause();
      case RESUME -> worker.resume();
      case DRAIN -> drain.run();
      case STATS, PING -> {
        // answered below
      }
      default ->
          throw new UnsupportedOperationException(
              worker.node() + " is a worker: it answers stats, ping, pause, resume and drain");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("role", "worker");
    fields.put("state", DRAIN.equals(verb) ? "draining" : worker.state());
    fields.put("concurrency", Integer.toString(worker.concurrency()));
    fields.put("in_flight", Long.toString(worker.inFlight()));
    fields.put("processed", Long.toString(worker.processed()));
    fields.put("failed", Long.toString(worker.failed()));
    fields.put("uptime_s", Long.toString(Duration.between(startedAt, Instant.now()).toSeconds()));
    return fields;
  }
}
