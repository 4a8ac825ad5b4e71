package dev.conveyor.worker;

import dev.conveyor.core.cluster.ClusterMember;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a worker answers the cluster: its counters for {@code stats}, and {@code pause}, {@code
 * resume} and {@code drain} (finish in-flight work, leave, exit) on request.
 */
final class WorkerDuties implements ClusterMember.Duties {

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
  public Map<String, String> answer(ClusterMember.Request request) {
    switch (request) {
      case PAUSE -> worker.pause();
      case RESUME -> worker.resume();
      case DRAIN -> drain.run();
      case STATS, PING -> {
        // answered below
      }
    }
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("role", "worker");
    fields.put("state", request == ClusterMember.Request.DRAIN ? "draining" : worker.state());
    fields.put("concurrency", Integer.toString(worker.concurrency()));
    fields.put("in_flight", Long.toString(worker.inFlight()));
    fields.put("processed", Long.toString(worker.processed()));
    fields.put("failed", Long.toString(worker.failed()));
    fields.put("uptime_s", Long.toString(Duration.between(startedAt, Instant.now()).toSeconds()));
    return fields;
  }
}
