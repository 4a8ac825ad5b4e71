package dev.conveyor.core;

import io.vertx.mutiny.redis.client.Redis;
import java.time.Duration;

/**
 * The one place that builds the store's objects: every app (and test) asks it for the queue, the
 * ledger, the consoles' reads and the cluster's directory, all over one client, one key prefix and
 * one call timeout. The objects are stateless and thread-safe; each is built once.
 */
public final class Store {

  private final RedisKeys keys;
  private final Shards shards;
  private final Duration timeout;
  private final JobQueue queue;
  private final JobRecovery recovery;
  private final DeadLetters deadLetters;
  private final Ledger ledger;
  private final QueueStats stats;
  private final Overview overview;
  private final ClusterDirectory directory;
  private final JanitorLease janitorLease;
  private final SharedSecret cancelSecret;
  private final WebhookOutbox webhooks;

  /**
   * @param redis the client (the Quarkus-managed one in the apps)
   * @param keys key names, with this system's prefix
   * @param timeout how long one Redis call may take before Redis counts as unavailable
   */
  public Store(Redis redis, RedisKeys keys, Duration timeout) {
    this(redis, keys, timeout, Durability.NONE);
  }

  /**
   * @param durability how many replicas must have a submission or a completion before it counts
   */
  public Store(Redis redis, RedisKeys keys, Duration timeout, Durability durability) {
    this(redis, Shards.one(keys), timeout, durability);
  }

  /**
   * @param shards the queue's shards (QUEUE_SHARDS), with their key names
   */
  public Store(Redis redis, Shards shards, Duration timeout, Durability durability) {
    RedisKeys keys = shards.base();
    this.keys = keys;
    this.shards = shards;
    this.timeout = timeout;
    this.queue = new JobQueue(redis, shards, timeout, durability);
    this.recovery = new JobRecovery(redis, shards, timeout);
    this.deadLetters = new DeadLetters(redis, shards, timeout);
    this.ledger = new Ledger(redis, keys, timeout);
    this.stats = new QueueStats(redis, shards, timeout);
    this.overview = new Overview(redis, shards, timeout, stats, ledger);
    this.directory = new ClusterDirectory(redis, keys, timeout);
    this.janitorLease = new JanitorLease(redis, keys, timeout);
    this.cancelSecret = new SharedSecret(redis, keys.cancelSecret(), timeout);
    this.webhooks = new WebhookOutbox(redis, shards, timeout);
  }

  /**
   * The store as a node's config (REDIS_PREFIX, QUEUE_SHARDS, REDIS_TIMEOUT, REDIS_WAIT_REPLICAS
   * and REDIS_WAIT_TIMEOUT) describes it.
   */
  public static Store of(Redis redis, StoreConfig config) {
    return new Store(
        redis,
        config.shards(),
        config.redisTimeout(),
        new Durability(config.redisWaitReplicas(), config.redisWaitTimeout()));
  }

  /** Shard 0's keys, which include those all shards share (the ledger, …). */
  public RedisKeys keys() {
    return keys;
  }

  /** The queue's shards. */
  public Shards shards() {
    return shards;
  }

  /** How long one Redis call may take before Redis counts as unavailable. */
  public Duration timeout() {
    return timeout;
  }

  /** The job transitions: submit, claim, complete, fail, promote, and the reads. */
  public JobQueue queue() {
    return queue;
  }

  /** Putting a worker's jobs back on the queue: at its start, at its stop, after its loss. */
  public JobRecovery recovery() {
    return recovery;
  }

  /** An operator's requeue or delete of a failed job. */
  public DeadLetters deadLetters() {
    return deadLetters;
  }

  /** The ledger of running nodes. */
  public Ledger ledger() {
    return ledger;
  }

  /** The queue's counts, for consoles. */
  public QueueStats stats() {
    return stats;
  }

  /** One look at everything, for consoles. */
  public Overview overview() {
    return overview;
  }

  /** Where JGroups members leave their addresses (REDIS_PING). */
  public ClusterDirectory directory() {
    return directory;
  }

  /** The secret cancel tokens are signed with when CANCEL_SECRET is not set. */
  public SharedSecret cancelSecret() {
    return cancelSecret;
  }

  /** The deliveries owed to notify_urls. */
  public WebhookOutbox webhooks() {
    return webhooks;
  }

  /** The janitor's Redis guard. */
  public JanitorLease janitorLease() {
    return janitorLease;
  }
}
