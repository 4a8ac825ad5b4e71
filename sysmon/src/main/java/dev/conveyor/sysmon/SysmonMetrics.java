package dev.conveyor.sysmon;

import dev.conveyor.core.JobSpec;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
        "jobs waiting to be due: a retry's backoff, a delay or a run_at",
        r -> r.queue().delayed());
    gauge(
        registry,
        latest,
        "conveyor.queue.dead",
        "failed jobs in the dead letters",
        r -> r.queue().dead());
    for (String counter :
        List.of(
            "accepted",
            "worked",
            "failed",
            "retried",
            "recovered",
            "fenced",
            "cancelled",
            "webhooks_delivered",
            "webhooks_retried",
            "webhooks_undelivered")) {
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
        "conveyor.webhooks.owed",
        "webhook deliveries still owed: due, backing off, or being sent",
        r -> r.queue().results().webhooksOwed());
    gauge(
        registry,
        latest,
        "conveyor.results.waiters",
        "GET ?wait= requests the apis hold now (from their ledger entries)",
        r -> r.queue().results().waiters());
    gauge(
        registry,
        latest,
        "conveyor.results.streams",
        "event streams the apis hold open now (from their ledger entries)",
        r -> r.queue().results().streams());
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

  /** (type, priority) pairs with a gauge already; a type gets its three when first seen. */
  private static final Set<String> TYPED = ConcurrentHashMap.newKeySet();

  /**
   * {@code conveyor_queue_typed_pending{type, priority}}: jobs waiting per type and priority, for
   * the types of the latest look (a type's gauges stay once registered, at 0 when none wait).
   */
  static void registerTypes(Supplier<Report> latest, Report report) {
    for (Report.TypeQueue t : report.queue().types()) {
      for (String priority : JobSpec.PRIORITIES) {
        if (TYPED.add(t.type() + " " + priority)) {
          Gauge.builder(
                  "conveyor.queue.typed.pending",
                  latest,
                  source -> pendingOf(source.get(), t.type(), priority))
              .description("jobs waiting, by type and priority")
              .tag("type", t.type())
              .tag("priority", priority)
              .strongReference(true)
              .register(Metrics.globalRegistry);
        }
      }
    }
  }

  /** Shards with a gauge already. */
  private static final Set<Integer> SHARDS = ConcurrentHashMap.newKeySet();

  /**
   * {@code conveyor_queue_shard_pending{shard}}: jobs waiting on each shard of the queue, when it
   * has more than one (QUEUE_SHARDS); the sum is {@code conveyor_queue_pending}.
   */
  static void registerShards(Supplier<Report> latest, Report report) {
    List<Long> shards = report.queue().pendingByShard();
    for (int s = 0; shards.size() > 1 && s < shards.size(); s++) {
      int shard = s;
      if (SHARDS.add(shard)) {
        Gauge.builder(
                "conveyor.queue.shard.pending",
                latest,
                source -> {
                  Report r = source.get();
                  List<Long> now = r == null ? List.of() : r.queue().pendingByShard();
                  return shard < now.size() ? now.get(shard) : Double.NaN;
                })
            .description("jobs waiting on one shard of the queue (QUEUE_SHARDS)")
            .tag("shard", Integer.toString(shard))
            .strongReference(true)
            .register(Metrics.globalRegistry);
      }
    }
  }

  private static double pendingOf(Report report, String type, String priority) {
    if (report == null) {
      return Double.NaN;
    }
    return report.queue().types().stream()
        .filter(t -> t.type().equals(type))
        .findFirst()
        .map(
            t ->
                (double)
                    switch (priority) {
                      case "high" -> t.high();
                      case "low" -> t.low();
                      default -> t.normal();
                    })
        .orElse(0.0);
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
