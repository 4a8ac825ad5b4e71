package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The read-only view of the queue that every console reads (the cluster shell, sysmon's terminal
 * loop and web page): how many jobs wait, wait out a retry, are dead, and are in each worker's
 * hands, and the counters since the store began. Reads only; a bounded number of commands, no
 * scans.
 */
public final class QueueStats {

  private final Redis redis;
  private final Shards shards;
  private final Duration timeout;

  public QueueStats(Redis redis, RedisKeys keys, Duration timeout) {
    this(redis, Shards.one(keys), timeout);
  }

  /** Counts every shard's keys, and adds them up. */
  public QueueStats(Redis redis, Shards shards, Duration timeout) {
    this.redis = redis;
    this.shards = shards;
    this.timeout = timeout;
  }

  /**
   * One look at the queue.
   *
   * @param pending ids in the queues, of every type and priority
   * @param pendingByType type (the default first, then the most recently submitted ones) to
   *     priority ({@code high}, {@code normal}, {@code low}) to the ids in that queue
   * @param delayed ids waiting to be due: a retry's backoff, a delay or a run_at
   * @param dead ids in the dead-letter list
   * @param processing per worker (the registered ones), the ids it holds
   * @param counters accepted, worked, failed, retried, recovered, fenced, cancelled,
   *     webhooks_delivered, … (absent: 0)
   * @param webhooksOwed webhook deliveries still owed (due, backing off, or being sent)
   * @param webhooksUndelivered given-up deliveries listed for operators (the newest kept)
   * @param pendingByShard the pending ids of each shard, shard 0 first (one entry unless
   *     QUEUE_SHARDS is above 1); the other figures are the shards' sums
   */
  public record Snapshot(
      long pending,
      Map<String, Map<String, Long>> pendingByType,
      long delayed,
      long dead,
      Map<String, Long> processing,
      Map<String, Long> counters,
      long webhooksOwed,
      long webhooksUndelivered,
      List<Long> pendingByShard) {

    /** Nothing yet: what a console shows before its first look. */
    public static final Snapshot EMPTY =
        new Snapshot(0, Map.of(), 0, 0, Map.of(), Map.of(), 0, 0, List.of());

    /** The shards' snapshots as one: every figure added up, the pending kept per shard. */
    static Snapshot sum(List<Snapshot> shards) {
      if (shards.size() == 1) {
        return shards.getFirst();
      }
      Map<String, Map<String, Long>> byType = new LinkedHashMap<>();
      Map<String, Long> processing = new TreeMap<>();
      Map<String, Long> counters = new LinkedHashMap<>();
      List<Long> pendingByShard = new ArrayList<>();
      long pending = 0;
      long delayed = 0;
      long dead = 0;
      long owed = 0;
      long undelivered = 0;
      for (Snapshot s : shards) {
        pending += s.pending();
        delayed += s.delayed();
        dead += s.dead();
        owed += s.webhooksOwed();
        undelivered += s.webhooksUndelivered();
        pendingByShard.add(s.pending());
        s.pendingByType()
            .forEach(
                (type, byPriority) ->
                    byPriority.forEach(
                        (priority, count) ->
                            byType
                                .computeIfAbsent(type, t -> new LinkedHashMap<>())
                                .merge(priority, count, Long::sum)));
        s.processing().forEach((worker, count) -> processing.merge(worker, count, Long::sum));
        s.counters().forEach((name, count) -> counters.merge(name, count, Long::sum));
      }
      return new Snapshot(
          pending,
          byType,
          delayed,
          dead,
          processing,
          counters,
          owed,
          undelivered,
          List.copyOf(pendingByShard));
    }

    public long counter(String name) {
      return counters.getOrDefault(name, 0L);
    }
  }

  /** Most types a snapshot counts, besides the default: the most recently submitted ones. */
  public static final int TYPES_SHOWN = 20;

  public Uni<Snapshot> snapshot() {
    if (shards.count() == 1) {
      return snapshot(shards.base());
    }
    List<Uni<Snapshot>> each = new ArrayList<>(shards.count());
    shards.all().forEach(keys -> each.add(snapshot(keys)));
    return Uni.combine()
        .all()
        .unis(each)
        .with(all -> Snapshot.sum(all.stream().map(s -> (Snapshot) s).toList()));
  }

  private Uni<Snapshot> snapshot(RedisKeys keys) {
    List<Request> names =
        List.of(
            Request.cmd(Command.SMEMBERS).arg(keys.workers()),
            Request.cmd(Command.ZRANGE)
                .arg(keys.types())
                .arg("+inf")
                .arg("-inf")
                .arg("BYSCORE")
                .arg("REV")
                .arg("LIMIT")
                .arg("0")
                .arg(Integer.toString(TYPES_SHOWN)));
    return Guard.timed(redis.batch(names), timeout, "list workers and types")
        .flatMap(
            found -> {
              List<String> workerNames = strings(found.get(0));
              List<String> types = new ArrayList<>();
              types.add(JobSpec.DEFAULT_TYPE);
              strings(found.get(1)).stream().sorted().forEach(types::add);
              List<Request> reads = new ArrayList<>();
              reads.add(Request.cmd(Command.ZCARD).arg(keys.delayed()));
              reads.add(Request.cmd(Command.LLEN).arg(keys.deadLetters()));
              reads.add(Request.cmd(Command.HGETALL).arg(keys.stats()));
              reads.add(Request.cmd(Command.ZCARD).arg(keys.webhooks()));
              reads.add(Request.cmd(Command.LLEN).arg(keys.undeliveredWebhooks()));
              workerNames.forEach(
                  w -> reads.add(Request.cmd(Command.LLEN).arg(keys.processing(w))));
              for (String type : types) {
                for (String priority : JobSpec.PRIORITIES) {
                  reads.add(Request.cmd(Command.LLEN).arg(keys.queue(type, priority)));
                }
              }
              return Guard.timed(redis.batch(reads), timeout, "read queue stats")
                  .map(r -> snapshotOf(r, workerNames, types));
            });
  }

  private static List<String> strings(Response array) {
    List<String> values = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      values.add(array.get(i).toString());
    }
    return values;
  }

  private static Snapshot snapshotOf(
      List<Response> replies, List<String> workers, List<String> types) {
    Map<String, Long> counters = new LinkedHashMap<>();
    Response stats = replies.get(2);
    for (String key : stats.getKeys()) {
      counters.put(key, stats.get(key).toLong());
    }
    Map<String, Long> processing = new TreeMap<>();
    int at = 5;
    for (String worker : workers) {
      processing.put(worker, replies.get(at++).toLong());
    }
    Map<String, Map<String, Long>> byType = new LinkedHashMap<>();
    long pending = 0;
    for (String type : types) {
      Map<String, Long> byPriority = new LinkedHashMap<>();
      for (String priority : JobSpec.PRIORITIES) {
        long count = replies.get(at++).toLong();
        byPriority.put(priority, count);
        pending += count;
      }
      byType.put(type, byPriority);
    }
    return new Snapshot(
        pending,
        byType,
        replies.get(0).toLong(),
        replies.get(1).toLong(),
        processing,
        counters,
        replies.get(3).toLong(),
        replies.get(4).toLong(),
        List.of(pending));
  }
}
