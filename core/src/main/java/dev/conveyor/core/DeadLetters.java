package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import java.time.Duration;
import java.util.List;

/**
 * An operator's hand on the failed jobs (sysmon's actions): send one back to the queue ({@code
 * requeue-4}) or delete it ({@code forget-3}). Only failed jobs can be touched.
 */
public final class DeadLetters {

  private static final LuaScript REQUEUE = LuaScript.load("requeue-4.lua");
  private static final LuaScript FORGET = LuaScript.load("forget-3.lua");

  private final Redis redis;
  private final Shards shards;
  private final Duration timeout;

  public DeadLetters(Redis redis, RedisKeys keys, Duration timeout) {
    this(redis, Shards.one(keys), timeout);
  }

  /** Each job on the shard its id picks. */
  public DeadLetters(Redis redis, Shards shards, Duration timeout) {
    this.redis = redis;
    this.shards = shards;
    this.timeout = timeout;
  }

  /** Sends a failed job back to the queue, its attempts from 0; false when it is not failed. */
  public Uni<Boolean> requeue(String id) {
    RedisKeys keys = shards.of(id);
    return Guard.timed(
            REQUEUE.run(
                redis,
                List.of(keys.job(id), keys.queue(), keys.deadLetters(), keys.stats()),
                List.of(id)),
            timeout,
            "requeue")
        .map(r -> r.toInteger() == 1);
  }

  /** Deletes a failed job; false when it is not failed. */
  public Uni<Boolean> delete(String id) {
    RedisKeys keys = shards.of(id);
    return Guard.timed(
            FORGET.run(
                redis, List.of(keys.job(id), keys.deadLetters(), keys.recent()), List.of(id)),
            timeout,
            "delete")
        .map(r -> r.toInteger() == 1);
  }
}
