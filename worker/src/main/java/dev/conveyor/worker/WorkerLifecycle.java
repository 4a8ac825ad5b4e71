package dev.conveyor.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.NodeNames;
import dev.conveyor.core.NotifyUrl;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.core.StopSignals;
import dev.conveyor.core.Store;
import dev.conveyor.core.cluster.ClusterMember;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
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
  private final WebhookSender webhooks;

  public WorkerLifecycle(
      WorkerConfig config,
      Redis redis,
      Vertx vertx,
      @Any Instance<JobHandler> handlers,
      ObjectMapper json,
      @ConfigProperty(name = "quarkus.redis.hosts") String redisUrl) {
    this.config = config;
    List<ServedType> types = servedTypes(config, handlers);
    // each type's claimer holds a connection for its blocking wait on each shard, and the cancels'
    // subscription one: a client of their own
    int blocking = types.size() * config.queueShards();
    this.claimClient =
        Redis.createClient(
            vertx,
            config
                .redisEndpoint(redisUrl)
                .options()
                // its own name in the metrics: under Quarkus' client's name it clashed (a WARN)
                .setMetricsName("claims")
                .setMaxPoolSize(blocking + 2)
                .setMaxPoolWaiting(blocking + 2));
    RetryPolicy policy =
        new RetryPolicy(
            config.maxAttempts(),
            config.retryBackoff(),
            config.failedTtl(),
            RetryPolicy.DEFAULT.maxDeadLetters(),
            config.maxRecoveries());
    Store store = Store.of(redis, config);
    if (store.shards().count() > 1) {
      LOG.infof("the queue is spread over %s", store.shards().describe());
    }
    String node = NodeNames.workerName(config.nodeName());
    this.worker =
        new Worker(
            vertx,
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
                config.jobTimeout(),
                config.priorityMaxWait()),
            types,
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
    this.webhooks = webhookSender(config, store, json);
  }

  /** The webhook sender, when NOTIFY_SECRET and NOTIFY_ALLOWED_HOSTS are set; else none. */
  private static WebhookSender webhookSender(WorkerConfig config, Store store, ObjectMapper json) {
    Set<String> hosts = NotifyUrl.allowedHosts(config.notifyAllowedHosts().orElse(""));
    if (config.notifySecret().isEmpty() || hosts.isEmpty()) {
      if (!hosts.isEmpty()) {
        LOG.warn(
            "NOTIFY_ALLOWED_HOSTS is set but NOTIFY_SECRET is not: this worker sends no webhooks");
      }
      return null;
    }
    return new WebhookSender(
        store.webhooks(),
        json,
        config.notifySecret().get(),
        hosts,
        config.notifyTimeout(),
        config.notifyMaxAttempts());
  }

  /** The types this worker serves, from its handler beans (see {@link JobTypes}). */
  private static List<ServedType> servedTypes(WorkerConfig config, Instance<JobHandler> handlers) {
    Map<JobHandler, Class<?>> beans = new LinkedHashMap<>();
    for (Instance.Handle<JobHandler> handle : handlers.handles()) {
      beans.put(handle.get(), handle.getBean().getBeanClass());
    }
    Config env = ConfigProvider.getConfig();
    return JobTypes.served(
        beans,
        config.types().filter(list -> !list.isEmpty()),
        config.concurrency(),
        type -> env.getOptionalValue(JobTypes.concurrencyVariable(type), Integer.class));
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
    if (webhooks != null) {
      webhooks.start();
    }
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
    if (webhooks != null) {
      webhooks.stop();
    }
    worker.stop(config.shutdownGrace());
    cluster.close();
    claimClient.close();
  }

  public Worker worker() {
    return worker;
  }
}
