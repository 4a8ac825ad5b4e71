package dev.conveyor.sysmon;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The seed's sysmon loop, for operators: every report printed to stdout as a block of plain text
 * (with colours only when stdout is a terminal, so {@code docker compose logs sysmon} reads well).
 */
@Singleton
public class TerminalLoop {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  private final Monitor monitor;
  private final SysmonConfig config;
  private final boolean colours = System.console() != null;

  public TerminalLoop(Monitor monitor, SysmonConfig config) {
    this.monitor = monitor;
    this.config = config;
  }

  void onStart(@Observes StartupEvent event) {
    if (config.terminal()) {
      PrintStream out = System.out;
      monitor.reports().subscribe().with(report -> out.print(render(report, colours)));
    }
  }

  /** One report as text. */
  static String render(Report r, boolean colours) {
    StringBuilder s = new StringBuilder();
    String bold = colours ? "\033[1m" : "";
    String red = colours ? "\033[31m" : "";
    String reset = colours ? "\033[0m" : "";
    s.append(bold)
        .append("== conveyor sysmon ")
        .append(TIME.format(Instant.ofEpochMilli(r.at())))
        .append(" UTC")
        .append(reset)
        .append('\n');
    if (r.redis().up()) {
      s.append(
          String.format(
              "redis: up, %s, memory %s, AOF %s%n",
              r.redis().version(), r.redis().usedMemory(), r.redis().aof() ? "on" : "OFF"));
    } else {
      s.append(red).append("redis: DOWN (").append(r.redis().error()).append(")").append(reset);
      s.append('\n');
    }
    Report.Queue q = r.queue();
    s.append(
        String.format(
            "queue: %d pending, %d in progress, %d delayed, %d dead | accepted %d, worked %d,"
                + " failed %d, recovered %d | %.1f jobs/s (10 s), %.1f jobs/s (1 min)%n",
            q.pending(),
            q.inProgress(),
            q.delayed(),
            q.dead(),
            q.counters().getOrDefault("accepted", 0L),
            q.counters().getOrDefault("worked", 0L),
            q.counters().getOrDefault("failed", 0L),
            q.counters().getOrDefault("recovered", 0L),
            r.throughput().last10s(),
            r.throughput().last1m()));
    if (q.pendingByShard().size() > 1) {
      s.append("  pending per shard: ")
          .append(
              String.join(" / ", q.pendingByShard().stream().map(n -> Long.toString(n)).toList()))
          .append('\n');
    }
    Report.Results res = q.results();
    s.append(
        String.format(
            "results: %d waiting (GET ?wait=), %d streams, %d cancelled | webhooks: %d owed,"
                + " %d delivered, %d undelivered%n",
            res.waiters(),
            res.streams(),
            res.cancelled(),
            res.webhooksOwed(),
            res.webhooksDelivered(),
            res.webhooksUndelivered()));
    for (Report.TypeQueue t : q.types()) {
      s.append(
          String.format(
              "  type %-16s high %d, normal %d, low %d | %d worker(s)",
              t.type(), t.high(), t.normal(), t.low(), t.workers()));
      if (!t.waiting().isEmpty()) {
        s.append(red).append("  ").append(t.waiting()).append(reset);
      }
      s.append('\n');
    }
    Report.Cluster c = r.cluster();
    s.append("cluster view: ")
        .append(c.joined() ? String.join(", ", c.view()) : "(sysmon is not in the cluster)")
        .append(c.joined() ? "  [coordinator " + c.coordinator() + "]" : "")
        .append('\n');
    if (!c.ledgerOnly().isEmpty()) {
      s.append(red)
          .append("  in the ledger, not in the view: ")
          .append(String.join(", ", c.ledgerOnly()))
          .append(reset)
          .append('\n');
    }
    if (!c.viewOnly().isEmpty()) {
      s.append(red)
          .append("  in the view, not in the ledger: ")
          .append(String.join(", ", c.viewOnly()))
          .append(reset)
          .append('\n');
    }
    s.append(
        String.format(
            "%-28s %-7s %-10s %-9s %-16s %9s %9s %6s %8s%n",
            "NODE",
            "ROLE",
            "HOST",
            "STATE",
            "TYPES",
            "IN_FLIGHT",
            "PROCESSED",
            "FAILED",
            "BEAT_AGO"));
    for (Report.Node n : r.nodes()) {
      s.append(
          String.format(
              "%-28s %-7s %-10s %-9s %-16s %9s %9s %6s %7.1fs%n",
              n.name(),
              n.role(),
              n.host().length() > 10 ? n.host().substring(0, 10) : n.host(),
              n.state(),
              n.types().isEmpty() ? "-" : n.types(),
              n.inFlight(),
              n.processed(),
              n.failed(),
              n.beatAgoMs() / 1000.0));
    }
    return s.append('\n').toString();
  }
}
