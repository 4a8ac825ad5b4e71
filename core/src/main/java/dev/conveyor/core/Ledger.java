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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The ledger of running nodes (workers, api instances, sysmon, shell): each node keeps a hash with
 * a TTL of three heartbeats, listed in a sorted set scored by expiry. A node that stops beating
 * drops out by itself; no {@code KEYS} or keyspace {@code SCAN} is ever needed to list it.
 */
public final class Ledger {

  private static final LuaScript HEARTBEAT = LuaScript.load("beat-2.lua");
  private static final LuaScript LEAVE = LuaScript.load("leave-2.lua");

  /** A node's entry lives this many heartbeat intervals without a beat. */
  public static final int MISSED_BEATS_TO_EXPIRE = 3;

  private final Redis redis;
  private final RedisKeys keys;
  private final Duration timeout;

  public Ledger(Redis redis, RedisKeys keys, Duration timeout) {
    this.redis = redis;
    this.keys = keys;
    this.timeout = timeout;
  }

  /**
   * The fields that say who a node is, the same for every role: role, host, pid, start time and
   * build version. A node adds its state and counters to these.
   */
  public static Map<String, String> identity(String role, Instant startedAt) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("role", role);
    fields.put("host", NodeNames.hostname());
    fields.put("pid", Long.toString(ProcessHandle.current().pid()));
    fields.put("started_at", Long.toString(startedAt.toEpochMilli()));
    fields.put(
        "version",
        Objects.requireNonNullElse(Ledger.class.getPackage().getImplementationVersion(), "dev"));
    return fields;
  }

  /** One node's entry as stored: its name and fields ({@code role}, {@code state}, …). */
  public record Entry(String name, Map<String, String> fields) {
    public String field(String key) {
      return fields.get(key);
    }
  }

  /**
   * Writes this node's entry and refreshes its TTL to {@link #MISSED_BEATS_TO_EXPIRE} × {@code
   * interval}; also drops expired members from the ledger's index.
   */
  public Uni<Void> heartbeat(String node, Duration interval, Map<String, String> fields) {
    List<String> args = new ArrayList<>();
    args.add(node);
    args.add(Long.toString(interval.multipliedBy(MISSED_BEATS_TO_EXPIRE).toMillis()));
    // readers judge silence against the beat this node promised, not against their own
    args.add("heartbeat_ms");
    args.add(Long.toString(interval.toMillis()));
    fields.forEach(
        (k, v) -> {
          args.add(k);
          args.add(v);
        });
    return guard(HEARTBEAT.run(redis, List.of(keys.node(node), keys.ledger()), args), "heartbeat")
        .replaceWithVoid();
  }

  /** Removes this node at an orderly stop, so readers need not wait for its entry to expire. */
  public Uni<Void> leave(String node) {
    return guard(LEAVE.run(redis, List.of(keys.node(node), keys.ledger()), List.of(node)), "leave")
        .replaceWithVoid();
  }

  /** The live members, by name, with their entries (expired members are left out). */
  public Uni<List<Entry>> members() {
    // the whole index: heartbeats prune it, and a listed member whose hash expired is skipped
    // below, so no reader compares its own clock with Redis'
    Request live = Request.cmd(Command.ZRANGE).arg(keys.ledger()).arg(0).arg(-1);
    return guard(redis.send(live), "list members")
        .flatMap(
            names -> {
              List<String> listed = new ArrayList<>();
              for (int i = 0; i < names.size(); i++) {
                listed.add(names.get(i).toString());
              }
              if (listed.isEmpty()) {
                return Uni.createFrom().item(List.<Entry>of());
              }
              List<Request> reads = new ArrayList<>();
              listed.forEach(name -> reads.add(Request.cmd(Command.HGETALL).arg(keys.node(name))));
              return guard(redis.batch(reads), "read members")
                  .map(
                      replies -> {
                        List<Entry> entries = new ArrayList<>();
                        for (int i = 0; i < listed.size(); i++) {
                          Map<String, String> fields = toMap(replies.get(i));
                          if (!fields
                              .isEmpty()) { // its hash expired: gone, whatever the index says
                            entries.add(new Entry(listed.get(i), fields));
                          }
                        }
                        return entries;
                      });
            });
  }

  /**
   * The job types the live workers serve, from their entries' {@code types} field (a worker that
   * lists none serves the default type).
   */
  public Uni<Set<String>> servedTypes() {
    return members().map(Ledger::typesOf);
  }

  /** The job types these entries' workers serve. */
  public static Set<String> typesOf(List<Entry> entries) {
    Set<String> served = new TreeSet<>();
    for (Entry entry : entries) {
      if ("worker".equals(entry.field("role"))) {
        String types = entry.field("types");
        served.addAll(
            types == null || types.isBlank()
                ? List.of(JobSpec.DEFAULT_TYPE)
                : List.of(types.split(",")));
      }
    }
    return served;
  }

  private static Map<String, String> toMap(Response hash) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (hash != null) {
      for (String key : hash.getKeys()) {
        fields.put(key, hash.get(key).toString());
      }
    }
    return fields;
  }

  private <T> Uni<T> guard(Uni<T> call, String what) {
    return Guard.timed(call, timeout, what);
  }
}
