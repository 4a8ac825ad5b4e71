package dev.conveyor.sysmon;

import dev.conveyor.core.Overview;
import java.util.List;
import java.util.Map;

/**
 * What sysmon shows, the same for the terminal loop, the page and the JSON API: one look at Redis,
 * the queue, throughput, the cluster view beside the ledger (with what disagrees), recent jobs,
 * dead letters, and the history behind the charts.
 */
public record Report(
    long at,
    Overview.RedisState redis,
    Queue queue,
    Throughput throughput,
    Cluster cluster,
    List<Node> nodes,
    List<Job> recent,
    List<Job> dead,
    List<Point> history,
    boolean actionsEnabled) {

  /**
   * Jobs waiting, waiting to be due (a retry's backoff, a delay, a run_at), dead, in workers'
   * hands; the waiting ones per type and priority; counters since the store began; the waiting ones
   * per shard of the queue (one entry unless QUEUE_SHARDS is above 1).
   */
  public record Queue(
      long pending,
      long delayed,
      long dead,
      long inProgress,
      Map<String, Long> counters,
      List<TypeQueue> types,
      Results results,
      List<Long> pendingByShard) {}

  /**
   * Results without polling: GET ?wait= requests and event streams the apis hold now, jobs
   * cancelled, and webhook deliveries owed, delivered and given up (listed as undelivered).
   */
  public record Results(
      long waiters,
      long streams,
      long cancelled,
      long webhooksOwed,
      long webhooksDelivered,
      long webhooksUndelivered) {}

  /**
   * One type's waiting jobs by priority, and who serves it: {@code waiting} says {@code "waiting
   * for a worker of type …"} when jobs wait and no live worker serves the type, else it is empty.
   */
  public record TypeQueue(
      String type, long high, long normal, long low, int workers, String waiting) {}

  /** Jobs worked per second over the last 10 s and the last minute. */
  public record Throughput(double last10s, double last1m) {}

  /**
   * The JGroups view (coordinator first), and where it and the ledger disagree: nodes that beat in
   * the ledger but are not in the view, and members of the view without a ledger entry.
   */
  public record Cluster(
      boolean joined,
      List<String> view,
      String coordinator,
      List<String> ledgerOnly,
      List<String> viewOnly) {}

  /** One node of the ledger. */
  public record Node(
      String name,
      String role,
      String host,
      String state,
      String types,
      String inFlight,
      String processed,
      String failed,
      long beatAgoMs,
      boolean inView) {}

  /** One job: its callback id, status, worker, attempts and how long it has run or ran. */
  public record Job(
      String id,
      String status,
      String worker,
      int attempts,
      long acceptedAt,
      long durationMs,
      String lastError) {}

  /** A point of the charts; its worked-per-second is over Monitor.CHART_RATE_WINDOW (30 s). */
  public record Point(long at, long pending, long inProgress, double workedPerSecond) {}
}
