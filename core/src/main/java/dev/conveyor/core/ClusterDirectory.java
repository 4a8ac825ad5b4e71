package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Where the members of a JGroups cluster leave their addresses for each other: one record per
 * member, each with its own expiry, so a member that crashed drops out by itself. The JGroups side
 * ({@code REDIS_PING}) decides what a record says; this class only stores, lists and removes them.
 * Blocking: JGroups calls it from its own threads, never from an event loop.
 */
public final class ClusterDirectory {

  private static final LuaScript WRITE = LuaScript.load("discovery-write-2.lua");
  private static final LuaScript READ = LuaScript.load("discovery-read-2.lua");
  private static final LuaScript REMOVE = LuaScript.load("discovery-remove-2.lua");

  private final Redis redis;
  private final RedisKeys keys;
  private final Duration timeout;

  public ClusterDirectory(Redis redis, RedisKeys keys, Duration timeout) {
    this.redis = redis;
    this.keys = keys;
    this.timeout = timeout;
  }

  /** Writes (or refreshes) these members' records, each living {@code ttl} unless written again. */
  public void write(String cluster, Map<String, String> recordsById, Duration ttl) {
    List<String> args = new ArrayList<>();
    args.add(Long.toString(ttl.toMillis()));
    recordsById.forEach(
        (id, record) -> {
          args.add(id);
          args.add(record);
        });
    await(WRITE.run(redis, clusterKeys(cluster), args), "write cluster addresses");
  }

  /** The records of the cluster's members whose records have not expired. */
  public List<String> read(String cluster) {
    Response records =
        await(READ.run(redis, clusterKeys(cluster), List.of()), "read cluster addresses");
    List<String> list = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      list.add(records.get(i).toString());
    }
    return list;
  }

  /** Removes these members' records. */
  public void remove(String cluster, Collection<String> ids) {
    if (!ids.isEmpty()) {
      await(REMOVE.run(redis, clusterKeys(cluster), List.copyOf(ids)), "remove cluster addresses");
    }
  }

  private List<String> clusterKeys(String cluster) {
    return List.of(keys.clusterAddresses(cluster), keys.clusterExpiry(cluster));
  }

  private <T> T await(Uni<T> call, String what) {
    return Guard.timed(call, timeout, what).await().indefinitely();
  }
}
