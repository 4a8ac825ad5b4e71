package dev.conveyor.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.NodeNames;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.core.StopSignals;
import dev.conveyor.core.Store;
import dev.conveyor.core.cluster.ClusterMember;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Runs the worker node for Quarkus. Duties, in order: join the cluster (refused without the right
 * CLUSTER_SECRET: the process exits 1); start the claimer and the janitor; on SIGTERM or a cluster
 * {@code drain}, stop claiming, let in-flight jobs finish within SHUTDOWN_GRACE, re-queue the
 * unfinished ones, leave the cluster and exit 0.
 */
@Singleton
public class WorkerLifecycle {

  private static final Logger LOG = Logger.getLogger(WorkerLifecycle.class);

  private final Worker worker;
  private final Redis claimClient;
  private Thread joining;
  private final WorkerConfig config;
  private final ClusterMember cluster;
  private final Janitor janitor;

  public WorkerLifecycle(
      WorkerConfig config,
      Redis redis,
      Vertx vertx,
      JobHandler handler,
      ObjectMapper json,
      @ConfigProperty(name = "quarkus.redis.hosts") String redisUrl) {
    this.config = config;
    // the claimer's blocking pop holds its connection: a client of its own
    this.claimClient =
        Redis.createClient(
            vertx,
            new RedisOptions()
                .setConnectionString(redisUrl)
                .setMaxPoolSize(2)
                .setMaxPoolWaiting(2));
    RetryPolicy policy =
        new RetryPolicy(
            config.maxAttempts(),
            config.retryBackoff(),
            config.failedTtl(),
            RetryPolicy.DEFAULT.maxDeadLetters(),
            config.maxRecoveries());
    Store store = Store.of(redis, config);
    String node = NodeNames.workerName(config.nodeName());
    this.worker =
        new Worker(
            store,
            claimClient,
            redisUrl,
            new WorkerSettings(
                node,
                config.concurrency(),
                config.claimWait(),
                config.resultTtl(),
                policy,
                config.heartbeatInterval(),
                config.jobTimeout()),
            handler,
            json);
    this.cluster =
        new ClusterMember(
            config.clusterSettings(),
            store.directory(),
            node,
            new WorkerDuties(worker, () -> Quarkus.asyncExit(0)));
    this.janitor =
        new Janitor(
            store.recovery(),
            store.ledger(),
            store.janitorLease(),
            cluster,
            policy,
            config.heartbeatInterval());
  }

  void onStart(@Observes StartupEvent event) {
    if (config.shell()) {
      return; // this process is a shell (WorkerMain runs it), not a worker
    }
    StopSignals.onStop(() -> Quarkus.asyncExit(0));
    // Claims start at once, while the cluster is joined beside them (discovery takes about half a
    // second): a worker not yet in the view is safe, because the janitor recovers only a worker
    // whose ledger entry missed a beat, and this one beats from its start.
    worker.start();
    joining = Thread.ofPlatform().name("cluster-join").start(this::joinCluster);
  }

  private void joinCluster() {
    try {
      cluster.join();
    } catch (Exception e) {
      LOG.errorf("worker %s cannot join the cluster: %s", worker.node(), e.getMessage());
      Quarkus.asyncExit(1);
      return;
    }
    janitor.start();
    WorkerMetrics.clusterSize(cluster);
  }

  void onStop(@Observes ShutdownEvent event) {
    if (joining != null) {
      try {
        joining.join(10_000); // a join under way ends first (its timeouts are seconds)
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    janitor.stop();
    worker.stop(config.shutdownGrace());
    cluster.close();
    claimClient.close();
  }

  public Worker worker() {
    return worker;
  }
}
