package dev.conveyor.sysmon;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/** Sysmon's meters: the store-wide figures of its latest report, on /q/metrics. */
final class SysmonMetrics {

  private SysmonMetrics() {}

  /**
   * The store-wide figures on /q/metrics, from the latest look: what sysmon shows, for Prometheus.
   * (Each worker and api exports its own counters; these are the queue's and the store's.)
   */
  static void register(Supplier<Report> latest) {
    MeterRegistry registry = Metrics.globalRegistry;
    gauge(
        registry,
        latest,
        "conveyor.queue.pending",
        "jobs waiting in the queue",
        r -> r.queue().pending());
    gauge(
        registry,
        latest,
        "conveyor.queue.in_progress",
        "jobs in workers' hands",
        r -> r.queue().inProgress());
    gauge(
        registry,
        latest,
        "conveyor.queue.delayed",
        "jobs waiting out a retry backoff",
        r -> r.queue().delayed());
    gauge(
        registry,
        latest,
        "conveyor.queue.dead",
        "failed jobs in the dead letters",
        r -> r.queue().dead());
    for (String counter :
        List.of("accepted", "worked", "failed", "retried", "recovered", "fenced")) {
      gauge(
          registry,
          latest,
          "conveyor.store." + counter,
          "the store's '" + counter + "' counter since it began",
          r -> r.queue().counters().getOrDefault(counter, 0L));
    }
    gauge(
        registry,
        latest,
        "conveyor.cluster.size",
        "members of sysmon's cluster view",
        r -> r.cluster().view().size());
    gauge(
        registry,
        latest,
        "conveyor.redis.up",
        "1 while Redis answers",
        r -> r.redis().up() ? 1 : 0);
  }

  private static void gauge(
      MeterRegistry registry,
      Supplier<Report> latest,
      String name,
      String description,
      ToDoubleFunction<Report> value) {
    Gauge.builder(
            name,
            latest,
            source -> {
              Report report = source.get();
              return report == null ? Double.NaN : value.applyAsDouble(report);
            })
        .description(description)
        .strongReference(true) // the supplier is held by nothing else
        .register(registry);
  }
}
