package dev.conveyor.api;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.NodeNames;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.StopSignals;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

/** Wires core's queue protocol to the Redis client that Quarkus manages (REDIS_URL). */
@Singleton
public class QueueProducer {

  @Produces
  @Singleton
  JobQueue jobQueue(Redis redis, ApiConfig config) {
    return new JobQueue(redis, new RedisKeys(config.redisPrefix()), config.redisTimeout());
  }

  @Produces
  @Singleton
  Ledger ledger(Redis redis, ApiConfig config) {
    return new Ledger(redis, new RedisKeys(config.redisPrefix()), config.redisTimeout());
  }

  /** SIGTERM drains in-flight requests (Quarkus' graceful shutdown) and exits 0. */
  void onStart(@Observes StartupEvent event) {
    StopSignals.onStop(() -> Quarkus.asyncExit(0));
  }

  @Produces
  @Singleton
  @Named("nodeName")
  String nodeName(ApiConfig config) {
    return NodeNames.apiName(config.nodeName());
  }
}
