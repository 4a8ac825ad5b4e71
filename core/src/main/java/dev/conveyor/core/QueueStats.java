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
  private final RedisKeys keys;
  private final Duration timeout;

  public QueueStats(Redis redis, RedisKeys keys, Duration timeout) {
    this.redis = redis;
    this.keys = keys;
    this.timeout = timeout;
  }

  /**
   * One look at the queue.
   *
   * @param pending ids in the queue
   * @param delayed ids waiting out a retry backoff
   * @param dead ids in the dead-letter list
   * @param processing per worker (the registered ones), the ids it holds
   * @param counters accepted, worked, failed, retried, recovered, fenced, … (absent: 0)
   */
  public record Snapshot(
      long pending,
      long delayed,
      long dead,
      Map<String, Long> processing,
      Map<String, Long> counters) {

    public long counter(String name) {
      return counters.getOrDefault(name, 0L);
    }
  }

  public Uni<Snapshot> snapshot() {
    Request workers = Request.cmd(Command.SMEMBERS).arg(keys.workers());
    return Guard.timed(redis.send(workers), timeout, "list workers")
        .flatMap(
            names -> {
              List<String> workerNames = new ArrayList<>();
              for (int i = 0; i < names.size(); i++) {
                workerNames.add(names.get(i).toString());
              }
              List<Request> reads = new ArrayList<>();
              reads.add(Request.cmd(Command.LLEN).arg(keys.queue()));
              reads.add(Request.cmd(Command.ZCARD).arg(keys.delayed()));
              reads.add(Request.cmd(Command.LLEN).arg(keys.deadLetters()));
              reads.add(Request.cmd(Command.HGETALL).arg(keys.stats()));
              workerNames.forEach(
                  w -> reads.add(Request.cmd(Command.LLEN).arg(keys.processing(w))));
              return Guard.timed(redis.batch(reads), timeout, "read queue stats")
                  .map(r -> snapshotOf(r, workerNames));
            });
  }

  private static Snapshot snapshotOf(List<Response> replies, List<String> workers) {
    Map<String, Long> counters = new LinkedHashMap<>();
    Response stats = replies.get(3);
    for (String key : stats.getKeys()) {
      counters.put(key, stats.get(key).toLong());
    }
    Map<String, Long> processing = new TreeMap<>();
    for (int i = 0; i < workers.size(); i++) {
      processing.put(workers.get(i), replies.get(4 + i).toLong());
    }
    return new Snapshot(
        replies.get(0).toLong(),
        replies.get(1).toLong(),
        replies.get(2).toLong(),
        processing,
        counters);
  }
}
