package dev.conveyor.worker;

import dev.conveyor.core.cluster.ClusterConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The worker's settings; each is set by the environment variable named in its comment. */
@ConfigMapping(prefix = "conveyor")
public interface WorkerConfig extends ClusterConfig {

  /** The shell profile (QUARKUS_PROFILE=shell): this process is a cluster shell, not a worker. */
  @WithDefault("false")
  boolean shell();

  /** WORK_DURATION: how long the demo work takes; 0 for none. */
  @WithDefault("3s")
  Duration workDuration();

  /** RESULT_TTL: how long a worked result stays readable before GET answers 404. */
  @WithDefault("10s")
  Duration resultTtl();

  /** WORKER_CONCURRENCY: jobs this worker works at once, each on a virtual thread of its own. */
  @WithDefault("1")
  int concurrency();

  /**
   * WORKER_TYPES: the job types this worker serves, comma-separated; unset: every type it has a
   * handler for. Each type's concurrency is WORKER_CONCURRENCY_&lt;TYPE&gt; (the type in capitals,
   * {@code .} and {@code -} as {@code _}), else WORKER_CONCURRENCY.
   */
  Optional<List<String>> types();

  /**
   * PRIORITY_MAX_WAIT: a normal or low job that has waited this long is claimed before the higher
   * priorities, so a flood of high jobs cannot starve it; 0: strictly by priority.
   */
  @WithDefault("60s")
  Duration priorityMaxWait();

  /** MAX_ATTEMPTS: attempts of a throwing job before it is failed. */
  @WithDefault("3")
  int maxAttempts();

  /** RETRY_BACKOFF: wait before the first retry; doubles each retry, with jitter. */
  @WithDefault("1s")
  Duration retryBackoff();

  /** FAILED_TTL: how long a failed job stays readable in the dead letters. */
  @WithDefault("24h")
  Duration failedTtl();

  /** MAX_RECOVERIES: times a job may outlive its worker before it is failed as a poison pill. */
  @WithDefault("3")
  int maxRecoveries();

  /** JOB_TIMEOUT: a handler running longer is interrupted and the attempt fails; 0: no limit. */
  @WithDefault("0s")
  Duration jobTimeout();

  /** CLAIM_WAIT: how long one blocking pop waits; bounds how long a stop waits on an idle loop. */
  @WithDefault("1s")
  Duration claimWait();

  /** NOTIFY_SECRET: the key webhooks are signed with (X-Conveyor-Signature); unset: none sent. */
  Optional<String> notifySecret();

  /** NOTIFY_ALLOWED_HOSTS: the hosts a webhook may be sent to (as the api's), comma-separated. */
  Optional<String> notifyAllowedHosts();

  /** NOTIFY_TIMEOUT: how long a webhook's connection and answer may take. */
  @WithDefault("5s")
  Duration notifyTimeout();

  /** NOTIFY_MAX_ATTEMPTS: webhook attempts (backoff 1 s, doubling, ≤ 10 min) before giving up. */
  @WithDefault("10")
  int notifyMaxAttempts();

  /** SHUTDOWN_GRACE: on SIGTERM, how long in-flight jobs may take before they are re-queued. */
  @WithDefault("30s")
  Duration shutdownGrace();
}
