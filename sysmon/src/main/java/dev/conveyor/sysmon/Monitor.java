package dev.conveyor.sysmon;

import dev.conveyor.core.JobSpec;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.NodeNames;
import dev.conveyor.core.Overview;
import dev.conveyor.core.QueueStats;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.Store;
import dev.conveyor.core.cluster.ClusterMember;
import dev.conveyor.core.cluster.Duties;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * Sysmon's one source of truth. Duties, in order: join the cluster as an observer (it answers
 * {@code stats} and {@code ping}, holds no jobs); every SYSMON_INTERVAL, take one look through
 * core's {@link Overview}, add the cluster view and throughput, keep the charts' history, beat in
 * the ledger, and hand the {@link Report} to the terminal loop and the page's stream. With Redis
 * down it reports so and keeps looking.
 */
@Singleton
public class Monitor {

  private static final Logger LOG = Logger.getLogger(Monitor.class);

  /** How much history the charts show. */
  static final Duration HISTORY = Duration.ofMinutes(10);

  /**
   * The window of the chart's worked-per-second: long beside the refresh and a job's time, so a
   * steady trickle draws a steady line (over 10 s, one job every 3 s read as 0.3 and 0.4 in turn).
   */
  static final Duration CHART_RATE_WINDOW = Duration.ofSeconds(30);

  private final SysmonConfig config;
  private final Store store;
  private final Overview overview;
  private final Ledger ledger;
  private final ClusterMember cluster;
  private final String node;
  private final Instant startedAt = Instant.now();
  private final BroadcastProcessor<Report> reports = BroadcastProcessor.create();
  // (epoch ms, worked counter) for throughput, and the charts' points
  private final Deque<long[]> workedSamples = new ArrayDeque<>();
  private final Deque<Report.Point> history = new ArrayDeque<>();
  private volatile Report latest;
  private volatile boolean joined;
  private Thread loop;

  public Monitor(SysmonConfig config, Redis redis) {
    this.config = config;
    this.store = Store.of(redis, config);
    this.node = NodeNames.numbered("sysmon", config.nodeName());
    this.overview = store.overview();
    this.ledger = store.ledger();
    this.cluster =
        new ClusterMember(
            config.clusterSettings(), store.directory(), node, Duties.observer("sysmon", node));
  }

  void onStart(@Observes StartupEvent event) {
    SysmonMetrics.register(() -> latest);
    // the page and the loop start at once; the view joins them when the cluster is joined
    loop = Thread.ofPlatform().name("sysmon-loop").daemon().start(this::joinThenRun);
  }

  private void joinThenRun() {
    try {
      refresh(); // a first look, without the view, while the cluster is joined
    } catch (RuntimeException e) {
      LOG.debugf("sysmon: the first look failed (%s); the loop tries again", e.getMessage());
    }
    try {
      cluster.join();
      joined = true;
    } catch (Exception e) {
      LOG.errorf(
          "sysmon %s cannot join cluster '%s' (%s); it shows Redis and the ledger without the"
              + " view",
          node, config.clusterName(), e.getMessage());
    }
    run();
  }

  void onStop(@Observes ShutdownEvent event) {
    if (loop != null) {
      loop.interrupt();
    }
    try {
      ledger.leave(node).await().indefinitely();
    } catch (StorageUnavailableException e) {
      // the entry expires by itself
    }
    cluster.close();
  }

  private void run() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        refresh();
      } catch (RuntimeException e) {
        LOG.errorf(e, "sysmon: a look failed; trying again");
      }
      try {
        Thread.sleep(config.interval());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Takes one look now and publishes it. */
  Report refresh() {
    Overview.Snapshot look = overview.look().await().indefinitely();
    if (look.redis().up()) {
      beat();
    }
    Report report = report(look);
    latest = report;
    SysmonMetrics.registerTypes(() -> latest, report);
    SysmonMetrics.registerShards(() -> latest, report);
    reports.onNext(report);
    return report;
  }

  private void beat() {
    Map<String, String> entry = Ledger.identity("sysmon", startedAt);
    entry.put("state", "running");
    try {
      ledger.heartbeat(node, config.heartbeatInterval(), entry).await().indefinitely();
    } catch (StorageUnavailableException e) {
      // shown as Redis down in the next look
    }
  }

  /** The latest report, taking a first look if there is none yet. */
  public Report latest() {
    Report current = latest;
    return current != null ? current : refresh();
  }

  /** Every report from now on. */
  public Multi<Report> reports() {
    return reports;
  }

  /** The store sysmon watches, for the console's actions. */
  public Store store() {
    return store;
  }

  public ClusterMember cluster() {
    return cluster;
  }

  public String node() {
    return node;
  }

  /** Each type's waiting jobs, and whether a live worker serves it. */
  private static List<Report.TypeQueue> typeQueues(Overview.Snapshot look) {
    Map<String, Integer> workers = new TreeMap<>();
    for (Ledger.Entry e : look.nodes()) {
      for (String type : Ledger.typesOf(List.of(e))) {
        workers.merge(type, 1, Integer::sum);
      }
    }
    List<Report.TypeQueue> types = new ArrayList<>();
    look.queue()
        .pendingByType()
        .forEach(
            (type, byPriority) -> {
              long high = byPriority.getOrDefault("high", 0L);
              long normal = byPriority.getOrDefault("normal", 0L);
              long low = byPriority.getOrDefault("low", 0L);
              int serving = workers.getOrDefault(type, 0);
              if (high + normal + low > 0 || serving > 0 || type.equals(JobSpec.DEFAULT_TYPE)) {
                types.add(
                    new Report.TypeQueue(
                        type,
                        high,
                        normal,
                        low,
                        serving,
                        serving == 0 && high + normal + low > 0
                            ? "waiting for a worker of type " + type
                            : ""));
              }
            });
    return types;
  }

  private synchronized Report report(Overview.Snapshot look) {
    long now = look.at().toEpochMilli();
    long inProgress = look.queue().processing().values().stream().mapToLong(Long::longValue).sum();
    if (look.redis().up()) {
      workedSamples.addLast(new long[] {now, look.queue().counter("worked")});
    }
    while (!workedSamples.isEmpty() && workedSamples.peekFirst()[0] < now - 60_000) {
      workedSamples.removeFirst();
    }
    Report.Throughput throughput = new Report.Throughput(rate(now, 10_000), rate(now, 60_000));
    if (look.redis().up()) {
      history.addLast(
          new Report.Point(
              now, look.queue().pending(), inProgress, rate(now, CHART_RATE_WINDOW.toMillis())));
    }
    while (!history.isEmpty() && history.peekFirst().at() < now - HISTORY.toMillis()) {
      history.removeFirst();
    }

    List<String> view = joined ? cluster.members() : List.of();
    Set<String> inView = Set.copyOf(view);
    List<Report.Node> nodes = new ArrayList<>();
    Set<String> clusterRoles = Set.of("worker", "sysmon", "shell");
    Set<String> ledgerOnly = new TreeSet<>();
    Set<String> listed = new TreeSet<>();
    for (Ledger.Entry e : look.nodes()) {
      listed.add(e.name());
      long lastBeat = parse(e.field("last_beat"));
      nodes.add(
          new Report.Node(
              e.name(),
              dash(e.field("role")),
              dash(e.field("host")),
              dash(e.field("state")),
              "worker".equals(e.field("role"))
                  ? Objects.requireNonNullElse(e.field("types"), JobSpec.DEFAULT_TYPE)
                  : "",
              dash(e.field("in_flight")),
              dash(e.field("processed")),
              dash(e.field("failed")),
              lastBeat == 0 ? -1 : Math.max(0, now - lastBeat),
              inView.contains(e.name())));
      if (joined && clusterRoles.contains(e.field("role")) && !inView.contains(e.name())) {
        ledgerOnly.add(e.name());
      }
    }
    List<String> viewOnly =
        look.redis().up()
            ? view.stream().filter(m -> !listed.contains(m)).sorted().toList()
            : List.of();
    // a stable order between updates: by role, then name
    nodes.sort(Comparator.comparing(Report.Node::role).thenComparing(Report.Node::name));
    return new Report(
        now,
        look.redis(),
        new Report.Queue(
            look.queue().pending(),
            look.queue().delayed(),
            look.queue().dead(),
            inProgress,
            look.queue().counters(),
            typeQueues(look),
            results(look),
            look.queue().pendingByShard()),
        throughput,
        new Report.Cluster(
            joined,
            view,
            joined ? cluster.coordinator().orElse("") : "",
            List.copyOf(ledgerOnly),
            viewOnly),
        nodes,
        look.recent().stream().map(j -> job(j, now)).toList(),
        look.dead().stream().map(j -> job(j, now)).toList(),
        List.copyOf(history),
        config.token().filter(t -> !t.isBlank()).isPresent());
  }

  /** The apis' held waits and streams (from their ledger entries) and the store's counts. */
  private static Report.Results results(Overview.Snapshot look) {
    long waiters = 0;
    long streams = 0;
    for (Ledger.Entry e : look.nodes()) {
      if ("api".equals(e.field("role"))) {
        waiters += count(e.field("waiters"));
        streams += count(e.field("streams"));
      }
    }
    QueueStats.Snapshot q = look.queue();
    return new Report.Results(
        waiters,
        streams,
        q.counter("cancelled"),
        q.webhooksOwed(),
        q.counter("webhooks_delivered"),
        q.webhooksUndelivered());
  }

  private static long count(String field) {
    try {
      return field == null ? 0 : Long.parseLong(field);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private double rate(long now, long window) {
    long[] newest = workedSamples.peekLast();
    if (newest == null) {
      return 0;
    }
    long[] oldest = null;
    for (long[] sample : workedSamples) {
      if (sample[0] >= now - window) {
        oldest = sample;
        break;
      }
    }
    if (oldest == null || newest[0] == oldest[0]) {
      return 0;
    }
    return (newest[1] - oldest[1]) * 1000.0 / (newest[0] - oldest[0]);
  }

  private static Report.Job job(Overview.JobLine line, long now) {
    return new Report.Job(
        line.id(),
        line.status(),
        line.worker(),
        line.attempts(),
        line.acceptedAt(),
        line.durationMs(now),
        line.lastError());
  }

  private static long parse(String value) {
    try {
      return value == null ? 0 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String dash(String value) {
    return value == null ? "-" : value;
  }
}
