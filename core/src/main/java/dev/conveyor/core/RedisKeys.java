package dev.conveyor.core;

/**
 * Every Redis key name Conveyor uses, and the only place one is built. All keys share a prefix
 * ({@code conveyor} by default, {@code REDIS_PREFIX}) so that several systems, or several tests,
 * can share one Redis. {@code docs/redis-keys.md} tables each key's type, writer, reader and TTL.
 *
 * <p>With QUEUE_SHARDS above 1 ({@link Shards}) each shard has its own prefix for the keys of the
 * queue (its lists, job hashes, delayed set, processing lists, dead letters, counters, webhook
 * outbox); the keys every node shares (the ledger, the janitor's lease, JGroups' directory, the
 * cancel secret and the pub/sub channels) keep the base prefix, which is shard 0's.
 */
public final class RedisKeys {

  /** The prefix used when none is configured. */
  public static final String DEFAULT_PREFIX = "conveyor";

  /** The prefix of this shard's queue keys. */
  private final String prefix;

  /** The prefix of the keys all shards share: shard 0's. */
  private final String base;

  public RedisKeys(String prefix) {
    this(prefix, prefix);
  }

  private RedisKeys(String base, String prefix) {
    for (String p : new String[] {base, prefix}) {
      if (p == null || p.isBlank() || p.contains(" ")) {
        throw new IllegalArgumentException(
            "Redis key prefix must be a non-empty word without spaces, got '" + p + "'");
      }
    }
    this.base = base;
    this.prefix = prefix;
  }

  /** The keys of another shard: its queue keys have {@code shardPrefix}, the shared ones ours. */
  public RedisKeys shard(String shardPrefix) {
    return new RedisKeys(base, shardPrefix);
  }

  /** The prefix of this shard's queue keys (the base prefix, unless sharded). */
  public String prefix() {
    return prefix;
  }

  /** The prefix of the keys every shard shares. */
  public String basePrefix() {
    return base;
  }

  /**
   * LIST of pending job ids of the default type at normal priority (the seed's queue): submit
   * LPUSHes, workers' claims take from the right end (FIFO). The base the other queues are named
   * from, here and in the scripts ({@code lua/includes/queues.lua}).
   */
  public String queue() {
    return prefix + ":queue";
  }

  /**
   * LIST of pending job ids of one type and priority; the default type's normal one is {@link
   * #queue()}.
   */
  public String queue(String type, String priority) {
    return type.equals(JobSpec.DEFAULT_TYPE) && priority.equals(JobSpec.NORMAL)
        ? queue()
        : queue() + ":" + type + ":" + priority;
  }

  /**
   * ZSET of one member, there when a type's queues may hold jobs: set by whatever queues one, set
   * again by a claim that leaves some; claim loops wait on it with BZPOPMIN (BullMQ's marker).
   */
  public String wake(String type) {
    return queue() + ":" + type + ":wake";
  }

  /** ZSET of the types jobs were submitted with (not the default), scored by the last time (ms). */
  public String types() {
    return prefix + ":types";
  }

  /** HASH of one job: status, data, attempts, owner, lease, timestamps, result or error. */
  public String job(String id) {
    return jobPrefix() + id;
  }

  /** What {@link #job} puts before the id, for scripts that build job keys from ids they read. */
  public String jobPrefix() {
    return prefix + ":job:";
  }

  /** LIST of the ids a worker has taken from the queue and not yet finished. */
  public String processing(String node) {
    return prefix + ":processing:" + node;
  }

  /** ZSET of jobs waiting out a retry backoff, scored by the time they are due (ms). */
  public String delayed() {
    return prefix + ":delayed";
  }

  /** LIST of the ids of failed jobs, newest first, bounded in length. */
  public String deadLetters() {
    return prefix + ":dead";
  }

  /** LIST of the most recently accepted job ids, newest first, bounded: what consoles list. */
  public String recent() {
    return prefix + ":recent";
  }

  /** ZSET of the ledger's members (node names), scored by when each entry expires (ms). */
  public String ledger() {
    return base + ":ledger";
  }

  /** HASH of one node's ledger entry: role, host, pid, state, counters, last beat; TTL 3× beat. */
  public String node(String name) {
    return nodePrefix() + name;
  }

  /** What {@link #node} puts before the name, for scripts that build entry keys from names. */
  public String nodePrefix() {
    return base + ":node:";
  }

  /**
   * SET of the workers that may own a processing list: a worker joins it at start and leaves it at
   * an orderly stop, so the janitor's sweep finds orphaned lists without scanning keys.
   */
  public String workers() {
    return prefix + ":workers";
  }

  /** STRING naming the node that holds the janitor's lease; expires unless renewed. */
  public String janitor() {
    return base + ":janitor";
  }

  /** HASH of a JGroups cluster's member address records (REDIS_PING), field = member id. */
  public String clusterAddresses(String cluster) {
    return base + ":cluster:" + cluster + ":addresses";
  }

  /** ZSET of the same members, scored by when each address record expires (ms). */
  public String clusterExpiry(String cluster) {
    return base + ":cluster:" + cluster + ":expiry";
  }

  /**
   * Pub/sub channel (not a key) on which the scripts announce the jobs that entered a state, one
   * message per script call: {@code <status> <id> <id> …} (see {@code lua/includes/events.lua}).
   * API instances subscribe while they hold waits or streams.
   */
  public String events() {
    return base + ":events";
  }

  /**
   * Pub/sub channel (not a key) on which a worker hears which of its jobs were cancelled: one id
   * per message. Each worker subscribes to its own.
   */
  public String cancels(String node) {
    return cancelsPrefix() + node;
  }

  /** What {@link #cancels} puts before the node name, for the script that names the channel. */
  public String cancelsPrefix() {
    return base + ":cancels:";
  }

  /**
   * STRING: the secret the api instances sign cancel tokens with when CANCEL_SECRET is not set;
   * made by the first instance that needs it (random), shared by all that use this Redis.
   */
  public String cancelSecret() {
    return base + ":cancel-secret";
  }

  /**
   * ZSET, the webhook outbox: one member per delivery owed to a notify_url, {@code
   * <attempts>\n<id>\n<url>\n<view JSON>}, scored by when it is due (ms); a worker that takes one
   * pushes its score a lease ahead (see {@code lua/includes/notify.lua}, {@code webhook-*.lua}).
   */
  public String webhooks() {
    return prefix + ":webhooks";
  }

  /** LIST, newest first, of the deliveries given up after their last attempt (JSON each). */
  public String undeliveredWebhooks() {
    return prefix + ":webhooks:undelivered";
  }

  /** HASH of counters since the store began: accepted, worked, failed, retried, recovered, … */
  public String stats() {
    return prefix + ":stats";
  }
}
