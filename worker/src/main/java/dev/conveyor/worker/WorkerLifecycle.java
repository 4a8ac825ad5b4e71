package dev.conveyor.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.NodeNames;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.core.StopSignals;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Starts the worker when Quarkus starts and drains it on SIGTERM: no new claims, in-flight jobs
 * finish within SHUTDOWN_GRACE, unfinished ones go back to the queue, then the process exits 0.
 */
@Singleton
public class WorkerLifecycle {

  private final Worker worker;
  private final Redis claimClient;
  private final WorkerConfig config;

  public WorkerLifecycle(
      WorkerConfig config,
      Redis redis,
      Vertx vertx,
      JobHandler handler,
      ObjectMapper json,
      @ConfigProperty(name = "quarkus.redis.hosts") String redisUrl) {
    this.config = config;
    // the blocking pops hold their connections: a pool of their own, one per loop
    this.claimClient =
        Redis.createClient(
            vertx,
            new RedisOptions()
                .setConnectionString(redisUrl)
                .setMaxPoolSize(config.concurrency())
                .setMaxPoolWaiting(config.concurrency()));
    RetryPolicy policy =
        new RetryPolicy(
            config.maxAttempts(),
            config.retryBackoff(),
            config.failedTtl(),
            RetryPolicy.DEFAULT.maxDeadLetters(),
            config.maxRecoveries());
    RedisKeys keys = new RedisKeys(config.redisPrefix());
    this.worker =
        new Worker(
            new JobQueue(redis, keys, config.redisTimeout()),
            new Ledger(redis, keys, config.redisTimeout()),
            claimClient,
            redisUrl,
            new Worker.Settings(
                NodeNames.workerName(config.nodeName()),
                config.concurrency(),
                config.claimWait(),
                config.resultTtl(),
                policy,
                config.heartbeatInterval()),
            handler,
            json);
  }

  void onStart(@Observes StartupEvent event) {
    StopSignals.onStop(() -> Quarkus.asyncExit(0));
    worker.start();
  }

  void onStop(@Observes ShutdownEvent event) {
    worker.stop(config.shutdownGrace());
    claimClient.close();
  }

  public Worker worker() {
    return worker;
  }
}
