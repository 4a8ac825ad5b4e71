package dev.conveyor.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.CallbackId;
import dev.conveyor.core.Durability;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobSpec;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.core.Shards;
import dev.conveyor.core.StorageUnavailableException;
import dev.conveyor.core.Store;
import dev.conveyor.core.cluster.ClusterMember;
import dev.conveyor.core.cluster.ClusterSettings;
import dev.conveyor.testkit.TestRedis;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builds real workers against a test's Redis, and stops them after the test. */
final class Workers implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(2);
  static final Duration HEARTBEAT = Duration.ofMillis(200);
  static final RetryPolicy QUICK_RETRIES =
      new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMinutes(5), 1_000, 3);

  private final TestRedis redis;
  private final List<Worker> started = new ArrayList<>();
  private final List<Redis> clients = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  final JobQueue queue;
  private final Shards shards;

  Workers(TestRedis redis) {
    this(redis, 1);
  }

  /** Workers of a queue spread over {@code shards} shards (QUEUE_SHARDS) of the test's Redis. */
  Workers(TestRedis redis, int shards) {
    this.redis = redis;
    this.shards = Shards.of(redis.prefix(), shards, false);
    this.queue = store().queue();
    // the first Redis call sets up Mutiny's context propagation, which races when a worker's
    // threads and the test's make their first calls at once ("ContextManagerProvider already set")
    try {
      queue.ping().await().atMost(TIMEOUT);
    } catch (StorageUnavailableException e) {
      // a test of a Redis that is not there yet: the first call is the worker's own
    }
  }

  static Store store(TestRedis redis) {
    return new Store(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT);
  }

  static JobQueue queue(TestRedis redis) {
    return store(redis).queue();
  }

  /** The store of these workers' shards. */
  Store store() {
    return new Store(redis.client(), shards, TIMEOUT, Durability.NONE);
  }

  Worker start(String node, int concurrency, JobHandler handler) {
    return start(node, concurrency, handler, QUICK_RETRIES, Duration.ofSeconds(10));
  }

  Worker start(
      String node, int concurrency, JobHandler handler, RetryPolicy policy, Duration resultTtl) {
    return start(node, concurrency, handler, policy, resultTtl, HEARTBEAT);
  }

  Worker start(
      String node,
      int concurrency,
      JobHandler handler,
      RetryPolicy policy,
      Duration resultTtl,
      Duration heartbeat) {
    return start(node, concurrency, handler, policy, resultTtl, heartbeat, Duration.ZERO);
  }

  Worker start(
      String node,
      int concurrency,
      JobHandler handler,
      RetryPolicy policy,
      Duration resultTtl,
      Duration heartbeat,
      Duration jobTimeout) {
    return start(
        node,
        List.of(ServedType.ofDefault(handler, concurrency)),
        policy,
        resultTtl,
        heartbeat,
        jobTimeout,
        WorkerSettings.DEFAULT_PRIORITY_MAX_WAIT);
  }

  /** A worker of these types, with quick retries, as the worker app runs it. */
  Worker start(String node, List<ServedType> types, Duration priorityMaxWait) {
    return start(
        node,
        types,
        QUICK_RETRIES,
        Duration.ofSeconds(10),
        HEARTBEAT,
        Duration.ZERO,
        priorityMaxWait);
  }

  Worker start(
      String node,
      List<ServedType> types,
      RetryPolicy policy,
      Duration resultTtl,
      Duration heartbeat,
      Duration jobTimeout,
      Duration priorityMaxWait) {
    int concurrency = types.stream().mapToInt(ServedType::concurrency).sum();
    Redis claims =
        Redis.createClient(
            redis.vertx(),
            new RedisOptions()
                .setConnectionString(redis.url())
                .setMaxPoolSize(concurrency + types.size() * shards.count() + 1)
                .setMaxPoolWaiting(concurrency + types.size() * shards.count() + 1));
    Redis pooled =
        Redis.createClient(
            redis.vertx(),
            new RedisOptions().setConnectionString(redis.url()).setMaxPoolWaiting(1024));
    clients.add(claims);
    clients.add(pooled);
    Worker worker =
        new Worker(
            redis.vertx(),
            new Store(pooled, shards, TIMEOUT, Durability.NONE),
            claims,
            redis.url(),
            new WorkerSettings(
                node,
                concurrency,
                Duration.ofMillis(200),
                resultTtl,
                policy,
                heartbeat,
                jobTimeout,
                priorityMaxWait),
            types,
            new ObjectMapper());
    worker.start();
    started.add(worker);
    return worker;
  }

  /** A worker in the cluster, with its janitor, as the worker app runs it. */
  record Node(Worker worker, ClusterMember cluster, Janitor janitor) {}

  /** Starts a worker that joins cluster {@code test} on loopback and runs the janitor. */
  Node startNode(String name, Duration heartbeat, JobHandler handler) throws Exception {
    return startNode(name, heartbeat, 1, handler);
  }

  /** As {@link #startNode(String, Duration, JobHandler)}, running this many jobs at once. */
  Node startNode(String name, Duration heartbeat, int concurrency, JobHandler handler)
      throws Exception {
    Worker worker =
        start(name, concurrency, handler, QUICK_RETRIES, Duration.ofSeconds(30), heartbeat);
    Store store = store();
    ClusterMember cluster =
        new ClusterMember(
            new ClusterSettings(
                "test", "127.0.0.1", 0, Optional.empty(), 0, Optional.of("test secret"), heartbeat),
            store.directory(),
            name,
            new WorkerDuties(
                worker, () -> Thread.ofPlatform().start(() -> worker.stop(Duration.ofSeconds(5)))));
    Janitor janitor =
        new Janitor(
            store.recovery(),
            store.ledger(),
            store.janitorLease(),
            cluster,
            QUICK_RETRIES,
            heartbeat);
    cluster.join();
    janitor.start();
    Node node = new Node(worker, cluster, janitor);
    nodes.add(node);
    return node;
  }

  /** What a kill -9 looks like from outside: no more beats, no recovery, gone from the view. */
  void kill(Node node) {
    node.janitor().stop();
    node.worker().faults().vanish();
    node.cluster().close();
  }

  /** Submits a job of this type and priority (null: none) the way the API does; its id. */
  String submit(String data, String type, String priority) {
    String id = CallbackId.of(type, data);
    queue
        .submit(new JobQueue.Work(id, data, new JobSpec(type, priority, null, null)), "api@test")
        .await()
        .atMost(TIMEOUT);
    return id;
  }

  /** Submits the data the way the API does and returns its callback id. */
  String submit(String data) {
    String id = CallbackId.of(data);
    queue.submit(id, data, "api@test").await().atMost(TIMEOUT);
    return id;
  }

  Ledger ledger() {
    return store(redis).ledger();
  }

  String status(String id) {
    return queue.find(id).await().atMost(TIMEOUT).map(job -> job.status().wire()).orElse("missing");
  }

  @Override
  public void close() {
    for (Node node : nodes) {
      node.janitor().stop();
      node.cluster().close();
    }
    for (Worker worker : started) {
      worker.stop(Duration.ofSeconds(5));
    }
    clients.forEach(Redis::close);
  }
}
