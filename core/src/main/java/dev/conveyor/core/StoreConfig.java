package dev.conveyor.core;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * The settings every node reads to reach the store (the api, the workers, sysmon and the shell):
 * the apps' config mappings extend it, so these keys and their meaning are written once. Each app
 * sets its own default for REDIS_TIMEOUT in its {@code application.properties}.
 */
public interface StoreConfig {

  /** NODE_NAME: this node's name in the ledger (and the cluster); default per role and host. */
  Optional<String> nodeName();

  /** REDIS_PREFIX: the prefix of every key, so several systems can share one Redis. */
  @WithDefault(RedisKeys.DEFAULT_PREFIX)
  String redisPrefix();

  /**
   * REDIS_CLIENT_TYPE: standalone (REDIS_URL is the Redis), sentinel (REDIS_URL lists the
   * sentinels) or cluster (REDIS_URL lists masters of a Redis Cluster); see {@link RedisEndpoint}.
   */
  @WithDefault("standalone")
  String redisClientType();

  /** REDIS_MASTER_NAME: with sentinels, the name of the master set they watch. */
  @WithDefault(RedisEndpoint.DEFAULT_MASTER_NAME)
  String redisMasterName();

  /**
   * The key names, shard 0's (see {@link #shards}). On a Redis Cluster the prefix is a hash tag
   * ({@code {conveyor}:queue}): every key of a shard then lives in one slot, so every script,
   * including those that build key names from what they read, runs on whichever master holds it.
   * Elsewhere the names are unchanged.
   */
  default RedisKeys redisKeys() {
    return shards().base();
  }

  /**
   * QUEUE_SHARDS: over how many hash tags the queue is spread ({@link Shards}); 1, the default, is
   * the unsharded layout. More than 1 is for a Redis Cluster, one shard per master.
   */
  @WithDefault("1")
  int queueShards();

  /** The queue's shards, with their key names. */
  default Shards shards() {
    boolean cluster =
        RedisEndpoint.parseType(redisClientType()) == io.vertx.redis.client.RedisClientType.CLUSTER;
    return Shards.of(redisPrefix(), queueShards(), cluster);
  }

  /** The endpoint REDIS_URL ({@code url}) names, as REDIS_CLIENT_TYPE says to reach it. */
  default RedisEndpoint redisEndpoint(String url) {
    return RedisEndpoint.of(url, redisClientType(), redisMasterName());
  }

  /**
   * REDIS_WAIT_REPLICAS: replicas that must have a job before the API answers 200, and a result
   * before a worker counts it recorded ({@link Durability}); 0: the master alone.
   */
  @WithDefault("0")
  int redisWaitReplicas();

  /** REDIS_WAIT_TIMEOUT: how long to wait for those replicas; then 503 (api) or a retry. */
  @WithDefault("250ms")
  Duration redisWaitTimeout();

  /** REDIS_TIMEOUT: longest wait for one Redis call before it counts as an outage. */
  @WithDefault("1s")
  Duration redisTimeout();

  /** HEARTBEAT_INTERVAL: how often the node's ledger entry is refreshed; it expires after three. */
  @WithDefault("2s")
  Duration heartbeatInterval();
}
