package dev.conveyor.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.CallbackId;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.testkit.TestRedis;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Builds real workers against a test's Redis, and stops them after the test. */
final class Workers implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(2);
  static final Duration HEARTBEAT = Duration.ofMillis(200);
  static final RetryPolicy QUICK_RETRIES =
      new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMinutes(5), 1_000, 3);

  private final TestRedis redis;
  private final List<Worker> started = new ArrayList<>();
  private final List<Redis> clients = new ArrayList<>();
  final JobQueue queue;

  Workers(TestRedis redis) {
    this.redis = redis;
    this.queue = queue(redis);
  }

  static JobQueue queue(TestRedis redis) {
    return new JobQueue(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT);
  }

  Worker start(String node, int concurrency, JobHandler handler) {
    return start(node, concurrency, handler, QUICK_RETRIES, Duration.ofSeconds(10));
  }

  Worker start(
      String node, int concurrency, JobHandler handler, RetryPolicy policy, Duration resultTtl) {
    Redis claims =
        Redis.createClient(
            redis.vertx(),
            new RedisOptions()
                .setConnectionString(redis.url())
                .setMaxPoolSize(concurrency)
                .setMaxPoolWaiting(concurrency));
    Redis pooled =
        Redis.createClient(
            redis.vertx(),
            new RedisOptions().setConnectionString(redis.url()).setMaxPoolWaiting(1024));
    clients.add(claims);
    clients.add(pooled);
    Worker worker =
        new Worker(
            new JobQueue(pooled, new RedisKeys(redis.prefix()), TIMEOUT),
            new Ledger(pooled, new RedisKeys(redis.prefix()), TIMEOUT),
            claims,
            redis.url(),
            new Worker.Settings(
                node, concurrency, Duration.ofMillis(200), resultTtl, policy, HEARTBEAT),
            handler,
            new ObjectMapper());
    worker.start();
    started.add(worker);
    return worker;
  }

  /** Submits the data the way the API does and returns its callback id. */
  String submit(String data) {
    String id = CallbackId.of(data);
    queue.submit(id, data, "api@test").await().atMost(TIMEOUT);
    return id;
  }

  Ledger ledger() {
    return new Ledger(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT);
  }

  String status(String id) {
    return queue.find(id).await().atMost(TIMEOUT).map(job -> job.status().wire()).orElse("missing");
  }

  @Override
  public void close() {
    for (Worker worker : started) {
      worker.stop(Duration.ofSeconds(5));
    }
    clients.forEach(Redis::close);
  }
}
