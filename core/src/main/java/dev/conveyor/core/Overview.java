package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The read-only façade sysmon reads (its terminal loop, its web page and JSON API): Redis itself,
 * the queue, the node ledger, the recently accepted jobs and the dead letters, in one look. It only
 * reads, with a bounded number of commands and no scans; when Redis does not answer, the look says
 * so instead of failing.
 */
public final class Overview {

  /** How many dead letters one look lists. */
  public static final int DEAD_LISTED = 50;

  private final Redis redis;
  private final Shards shards;
  private final Duration timeout;
  private final QueueStats queue;
  private final Ledger ledger;

  /** Built by {@link Store}, over the same client as the queue counts and the ledger it reads. */
  Overview(Redis redis, Shards shards, Duration timeout, QueueStats queue, Ledger ledger) {
    this.redis = redis;
    this.shards = shards;
    this.timeout = timeout;
    this.queue = queue;
    this.ledger = ledger;
  }

  /** Redis as the consoles show it; {@code error} says why when it is down. */
  public record RedisState(
      boolean up, String version, String usedMemory, boolean aof, String error) {}

  /**
   * One job as the consoles list it. Times in epoch ms (0: not yet); status {@code gone}: expired.
   */
  public record JobLine(
      String id,
      String status,
      String worker,
      int attempts,
      long acceptedAt,
      long startedAt,
      long finishedAt,
      String lastError) {

    /** From start to finish, or to now while working; 0 when it has not started. */
    public long durationMs(long now) {
      if (startedAt == 0) {
        return 0;
      }
      return (finishedAt > 0 ? finishedAt : now) - startedAt;
    }
  }

  /** One look at the whole system. */
  public record Snapshot(
      Instant at,
      RedisState redis,
      QueueStats.Snapshot queue,
      List<Ledger.Entry> nodes,
      List<JobLine> recent,
      List<JobLine> dead) {}

  /** Looks; never fails: with Redis away the snapshot has {@code redis.up == false} and no data. */
  public Uni<Snapshot> look() {
    return redisState()
        .flatMap(
            state -> {
              if (!state.up()) {
                return Uni.createFrom()
                    .item(
                        new Snapshot(
                            Instant.now(),
                            state,
                            QueueStats.Snapshot.EMPTY,
                            List.of(),
                            List.of(),
                            List.of()));
              }
              return Uni.combine()
                  .all()
                  .unis(
                      queue.snapshot(),
                      ledger.members(),
                      jobs(RedisKeys::recent, JobQueue.RECENT_KEPT, JobLine::acceptedAt),
                      jobs(RedisKeys::deadLetters, DEAD_LISTED, JobLine::finishedAt))
                  .asTuple()
                  .map(
                      t ->
                          new Snapshot(
                              Instant.now(),
                              state,
                              t.getItem1(),
                              t.getItem2(),
                              t.getItem3(),
                              t.getItem4()))
                  .onFailure()
                  .recoverWithItem(
                      f ->
                          new Snapshot(
                              Instant.now(),
                              new RedisState(false, state.version(), "", false, f.getMessage()),
                              QueueStats.Snapshot.EMPTY,
                              List.of(),
                              List.of(),
                              List.of()));
            });
  }

  private Uni<RedisState> redisState() {
    return Guard.timed(redis.send(Request.cmd(Command.INFO)), timeout, "info")
        .map(
            info -> {
              Map<String, String> fields = parseInfo(info.toString());
              return new RedisState(
                  true,
                  fields.getOrDefault("redis_version", "?"),
                  fields.getOrDefault("used_memory_human", "?"),
                  "1".equals(fields.get("aof_enabled")),
                  null);
            })
        .onFailure()
        .recoverWithItem(f -> new RedisState(false, "", "", false, f.getMessage()));
  }

  static Map<String, String> parseInfo(String info) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }

  private static final List<String> LINE_FIELDS =
      List.of(
          "status",
          "worker",
          "worked_by",
          "attempts",
          "accepted_at",
          "started_at",
          "finished_at",
          "failed_at",
          "last_error");

  /**
   * The jobs whose ids a list of each shard holds, at most {@code limit}, newest first: one shard's
   * list is in its own order, several are merged by {@code time}.
   */
  private Uni<List<JobLine>> jobs(
      java.util.function.Function<RedisKeys, String> list,
      int limit,
      java.util.function.ToLongFunction<JobLine> time) {
    if (shards.count() == 1) {
      return jobs(shards.base(), list.apply(shards.base()), limit);
    }
    List<Uni<List<JobLine>>> each = new ArrayList<>(shards.count());
    shards.all().forEach(keys -> each.add(jobs(keys, list.apply(keys), limit)));
    return Uni.combine()
        .all()
        .unis(each)
        .with(
            all -> {
              List<JobLine> merged = new ArrayList<>();
              for (Object lines : all) {
                @SuppressWarnings("unchecked")
                List<JobLine> some = (List<JobLine>) lines;
                merged.addAll(some);
              }
              merged.sort(java.util.Comparator.comparingLong(time).reversed());
              return merged.size() > limit ? List.copyOf(merged.subList(0, limit)) : merged;
            });
  }

  /** The jobs whose ids one shard's list holds (at most {@code limit}), newest first. */
  private Uni<List<JobLine>> jobs(RedisKeys keys, String listKey, int limit) {
    return Guard.timed(
            redis.send(Request.cmd(Command.LRANGE).arg(listKey).arg(0).arg(limit - 1)),
            timeout,
            "list jobs")
        .flatMap(
            ids -> {
              if (ids.size() == 0) {
                return Uni.createFrom().item(List.<JobLine>of());
              }
              // an id posted again is listed again: its newest entry (the first) is kept
              Set<String> distinct = new LinkedHashSet<>();
              for (int i = 0; i < ids.size(); i++) {
                distinct.add(ids.get(i).toString());
              }
              List<String> idList = new ArrayList<>(distinct);
              List<Request> reads = new ArrayList<>();
              for (String id : idList) {
                Request hmget = Request.cmd(Command.HMGET).arg(keys.job(id));
                LINE_FIELDS.forEach(hmget::arg);
                reads.add(hmget);
              }
              return Guard.timed(redis.batch(reads), timeout, "read jobs")
                  .map(
                      replies -> {
                        List<JobLine> lines = new ArrayList<>();
                        for (int i = 0; i < idList.size(); i++) {
                          lines.add(line(idList.get(i), replies.get(i)));
                        }
                        return lines;
                      });
            });
  }

  private static JobLine line(String id, Response r) {
    String status = text(r.get(0));
    if (status == null) {
      return new JobLine(id, "gone", "", 0, 0, 0, 0, null);
    }
    String worker = text(r.get(1)) != null ? text(r.get(1)) : text(r.get(2));
    long finished = number(r.get(6)) > 0 ? number(r.get(6)) : number(r.get(7));
    return new JobLine(
        id,
        status,
        worker == null ? "" : worker,
        (int) number(r.get(3)),
        number(r.get(4)),
        number(r.get(5)),
        finished,
        text(r.get(8)));
  }

  private static String text(Response r) {
    return r == null ? null : r.toString();
  }

  private static long number(Response r) {
    try {
      return r == null ? 0 : Long.parseLong(r.toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
