package dev.conveyor.worker;

import dev.conveyor.core.cluster.ClusterMember;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker's meters, on Micrometer's global registry (Quarkus adds its Prometheus registry to it,
 * so they show on {@code /q/metrics}; in plain tests they count into nothing). One place names them
 * all.
 */
final class WorkerMetrics {

  static final Counter WORKED =
      Counter.builder("conveyor.jobs.worked")
          .description("jobs whose result this worker recorded")
          .register(Metrics.globalRegistry);
  static final Counter FAILED_ATTEMPTS =
      Counter.builder("conveyor.jobs.failed.attempts")
          .description("attempts that threw or timed out (retried or failed)")
          .register(Metrics.globalRegistry);
  static final Counter FENCED =
      Counter.builder("conveyor.jobs.fenced")
          .description("results refused because the job had been recovered and given to another")
          .register(Metrics.globalRegistry);
  static final Counter CANCELLED =
      Counter.builder("conveyor.jobs.cancelled.running")
          .description("running jobs of this worker cancelled by a client; their outcome refused")
          .register(Metrics.globalRegistry);
  static final Counter RECOVERED =
      Counter.builder("conveyor.jobs.recovered")
          .description("jobs of departed workers this node's janitor put back on the queue")
          .register(Metrics.globalRegistry);
  static final Counter REDIS_ERRORS =
      Counter.builder("conveyor.redis.errors")
          .description("Redis calls that failed or timed out")
          .register(Metrics.globalRegistry);
  static final Timer HANDLER =
      Timer.builder("conveyor.handler.duration")
          .description("how long the handler ran, per attempt")
          .publishPercentileHistogram()
          .maximumExpectedValue(Duration.ofMinutes(5))
          .register(Metrics.globalRegistry);
  static final Timer CLAIM =
      Timer.builder("conveyor.claim.latency")
          .description("from a claim loop woken by its type's wake-up mark to its claim recorded")
          .publishPercentileHistogram()
          .register(Metrics.globalRegistry);

  /** Jobs of one type this worker works now, tagged with its name and the type. */
  static void inFlight(String node, String type, AtomicLong inFlight) {
    Gauge.builder("conveyor.jobs.in_flight", inFlight, AtomicLong::get)
        .description("jobs this worker is working now")
        .tag("node", node)
        .tag("type", type)
        .register(Metrics.globalRegistry);
  }

  /** The members of this node's cluster view. */
  static void clusterSize(ClusterMember cluster) {
    Gauge.builder("conveyor.cluster.size", cluster, c -> c.members().size())
        .description("members of this node's cluster view")
        .register(Metrics.globalRegistry);
  }

  private WorkerMetrics() {}
}
