package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The queue's shards (QUEUE_SHARDS): each has its own queue lists, job hashes, delayed set,
 * processing lists, dead letters, counters and webhook outbox under a prefix of its own, so that on
 * a Redis Cluster each can live on a different master and every script still touches one slot. A
 * job lives on the shard its callback id picks ({@link #indexOf}): a second submission of the same
 * job, a read, a cancel all go to that one shard. Shard 0's prefix is the base prefix
 * (REDIS_PREFIX, as a hash tag on a cluster), which also holds what all shards share (the ledger,
 * …): with one shard the layout is the unsharded one.
 *
 * <p>The other shards' prefixes are chosen so that their hash slots spread evenly over the slot
 * space: shard {@code k} of {@code n} is the first of {@code <prefix>:<k>}, {@code <prefix>:<k>.1},
 * {@code <prefix>:<k>.2}, … whose slot lies in the middle half of the {@code k}-th {@code n}-th of
 * the slots after shard 0's (counting round). A cluster whose masters hold equal ranges of slots
 * (what {@code redis-cli --cluster create} makes) then has one shard per master when there are as
 * many shards as masters. The names are logged at start; {@code CLUSTER KEYSLOT} shows where each
 * lives.
 */
public final class Shards {

  /** The slots of a Redis Cluster. */
  public static final int SLOTS = 16_384;

  /** The most shards: more is no use on any cluster one queue would run on. */
  public static final int MAX = 1_024;

  private final List<RedisKeys> shards;

  private Shards(List<RedisKeys> shards) {
    this.shards = List.copyOf(shards);
  }

  /** One shard with these keys: the unsharded layout. */
  public static Shards one(RedisKeys keys) {
    return new Shards(List.of(keys));
  }

  /**
   * {@code count} shards under {@code prefix}; with {@code hashTags} (a Redis Cluster) each shard's
   * prefix is written as a hash tag, {@code {conveyor}}, so all its keys share its slot.
   */
  public static Shards of(String prefix, int count, boolean hashTags) {
    if (count < 1 || count > MAX) {
      throw new IllegalArgumentException(
          "QUEUE_SHARDS must be between 1 and " + MAX + ", got " + count);
    }
    RedisKeys base = new RedisKeys(hashTags ? "{" + prefix + "}" : prefix);
    List<RedisKeys> shards = new ArrayList<>(count);
    shards.add(base);
    int first = slot(prefix);
    for (int k = 1; k < count; k++) {
      String name = spread(prefix, k, count, first);
      shards.add(base.shard(hashTags ? "{" + name + "}" : name));
    }
    return new Shards(shards);
  }

  /** Shard k's prefix (without braces): the first candidate in the middle of its slot range. */
  private static String spread(String prefix, int k, int count, int firstSlot) {
    int width = SLOTS / count;
    int start = firstSlot - firstSlot % width + k * width;
    for (int j = 0; ; j++) {
      String name = prefix + ":" + k + (j == 0 ? "" : "." + j);
      int offset = Math.floorMod(slot(name) - start, SLOTS);
      if (offset >= width / 4 && offset < width - width / 4) {
        return name;
      }
    }
  }

  public int count() {
    return shards.size();
  }

  /** Shard 0's keys: the base prefix, and the keys all shards share. */
  public RedisKeys base() {
    return shards.getFirst();
  }

  public RedisKeys get(int shard) {
    return shards.get(shard);
  }

  public List<RedisKeys> all() {
    return shards;
  }

  /**
   * The shard of a job: its callback id's first 8 hex digits as a number, modulo the shard count
   * (an id that is not hex, as tests use, by its Java hash code).
   */
  public int indexOf(String id) {
    int n = shards.size();
    if (n == 1) {
      return 0;
    }
    long value;
    try {
      value = Long.parseLong(id.substring(0, Math.min(8, id.length())), 16);
    } catch (NumberFormatException e) {
      value = Integer.toUnsignedLong(id.hashCode());
    }
    return (int) (value % n);
  }

  /** The keys of the shard a job lives on. */
  public RedisKeys of(String id) {
    return shards.get(indexOf(id));
  }

  /**
   * One command on every shard at once (each built from the shard's keys), each bounded by {@code
   * timeout}: the answers in shard order.
   */
  Uni<List<Response>> sendToEach(
      Redis redis, Function<RedisKeys, Request> command, Duration timeout, String what) {
    List<Uni<Response>> calls = new ArrayList<>(shards.size());
    for (RedisKeys keys : shards) {
      calls.add(Guard.timed(redis.send(command.apply(keys)), timeout, what));
    }
    return Uni.combine()
        .all()
        .unis(calls)
        .with(answers -> answers.stream().map(a -> (Response) a).toList());
  }

  /**
   * The shards' prefixes and hash slots, for a log line: {@code 3 shards: {conveyor} (slot …), …}.
   */
  public String describe() {
    StringBuilder text = new StringBuilder(count() + (count() == 1 ? " shard: " : " shards: "));
    for (int s = 0; s < count(); s++) {
      String prefix = shards.get(s).prefix();
      text.append(s == 0 ? "" : ", ")
          .append(prefix)
          .append(" (slot ")
          .append(slot(prefix))
          .append(')');
    }
    return text.toString();
  }

  /** The hash slot of a key (the CRC16/XMODEM of its hash tag, or of it all), as Redis computes. */
  public static int slot(String key) {
    int open = key.indexOf('{');
    if (open >= 0) {
      int close = key.indexOf('}', open + 1);
      if (close > open + 1) {
        key = key.substring(open + 1, close);
      }
    }
    int crc = 0;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      crc ^= (b & 0xFF) << 8;
      for (int i = 0; i < 8; i++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
    }
    return (crc & 0xFFFF) % SLOTS;
  }
}
