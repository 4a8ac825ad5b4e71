package dev.conveyor.api;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.NodeNames;
import dev.conveyor.core.StopSignals;
import dev.conveyor.core.Store;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Wires core's store to the Redis client that Quarkus manages (REDIS_URL). */
@Singleton
public class QueueProducer {

  @Produces
  @Singleton
  Store store(Redis redis, ApiConfig config) {
    return Store.of(redis, config);
  }

  @Produces
  @Singleton
  JobQueue jobQueue(Store store) {
    return store.queue();
  }

  /**
   * Submissions in batches: whatever arrived while {@code SUBMIT_IN_FLIGHT} calls were in flight
   * goes in the next one. A batch carries at most one body limit of data (beyond one job), and at
   * most 16 batches may wait before a POST gets 503 at once. A lane of its own for each shard.
   */
  @Produces
  @Singleton
  SubmitLanes submitLanes(
      JobQueue queue,
      ApiConfig config,
      @Named("nodeName") String nodeName,
      @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody,
      MeterRegistry metrics) {
    int batch = config.submitBatch();
    DistributionSummary batchSizes =
        DistributionSummary.builder("conveyor.submit.batch.size")
            .description("jobs per submit call to Redis (the group commit's batches)")
            .register(metrics);
    List<Submitter> lanes = new ArrayList<>();
    for (int shard = 0; shard < queue.shards().count(); shard++) {
      lanes.add(
          new Submitter(
              queue,
              nodeName,
              config.submitInFlight(),
              batch,
              maxBody.asLongValue(),
              16 * batch,
              batchSizes::record));
    }
    if (queue.shards().count() > 1) {
      Logger.getLogger(QueueProducer.class)
          .infof("the queue is spread over %s", queue.shards().describe());
    }
    return new SubmitLanes(queue.shards(), lanes);
  }

  @Produces
  @Singleton
  CancelTokens cancelTokens(Store store, ApiConfig config) {
    return new CancelTokens(config.cancelSecret(), store.cancelSecret());
  }

  /**
   * The watch on finishing jobs for waits and event streams: its subscription holds a connection of
   * a client of its own (a pooled connection would go back to the pool subscribed).
   */
  @Produces
  @Singleton
  JobWatch jobWatch(
      Vertx vertx,
      Store store,
      ApiConfig config,
      @ConfigProperty(name = "quarkus.redis.hosts") String redisUrl,
      MeterRegistry metrics) {
    Redis subscriptions =
        Redis.createClient(
            vertx,
            config
                .redisEndpoint(redisUrl)
                .options()
                // its own name in the metrics: under Quarkus' client's name it clashed (a WARN)
                .setMetricsName("subscriptions")
                .setMaxPoolSize(2)
                .setMaxPoolWaiting(4));
    return new JobWatch(
        vertx, subscriptions, store.keys().events(), store.timeout(), config.maxWaiters(), metrics);
  }

  void closeWatch(@Disposes JobWatch watch) {
    watch.close();
  }

  /** SIGTERM: held waits answer now and streams end, while HAProxy still routes to this api. */
  void releaseHolds(
      @Observes io.quarkus.runtime.ShutdownDelayInitiatedEvent event, JobWatch watch) {
    watch.releaseAll();
  }

  @Produces
  @Singleton
  Waits waits(JobWatch watch, Vertx vertx, WorkService work) {
    return new Waits(watch, vertx, work::status);
  }

  @Produces
  @Singleton
  Ledger ledger(Store store) {
    return store.ledger();
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
