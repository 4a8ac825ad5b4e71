package dev.conveyor.worker;

import dev.conveyor.core.RetryPolicy;
import java.time.Duration;

/**
 * Everything a worker needs to know, from its config (see {@link WorkerConfig} for each key) or
 * from a test.
 *
 * @param node the worker's name in the ledger, the cluster and its processing list
 * @param concurrency WORKER_CONCURRENCY: jobs worked at once
 * @param claimWait CLAIM_WAIT: how long one blocking pop waits
 * @param resultTtl RESULT_TTL: how long a worked result stays readable
 * @param retryPolicy MAX_ATTEMPTS, RETRY_BACKOFF, FAILED_TTL, MAX_RECOVERIES
 * @param heartbeatInterval HEARTBEAT_INTERVAL: how often the ledger entry is refreshed
 * @param jobTimeout JOB_TIMEOUT: a longer attempt is interrupted and fails; zero: no limit
 * @param priorityMaxWait PRIORITY_MAX_WAIT: a normal or low job waiting this long goes first
 */
public record WorkerSettings(
    String node,
    int concurrency,
    Duration claimWait,
    Duration resultTtl,
    RetryPolicy retryPolicy,
    Duration heartbeatInterval,
    Duration jobTimeout,
    Duration priorityMaxWait) {

  /** PRIORITY_MAX_WAIT's default. */
  public static final Duration DEFAULT_PRIORITY_MAX_WAIT = Duration.ofSeconds(60);

  /** With the default PRIORITY_MAX_WAIT. */
  public WorkerSettings(
      String node,
      int concurrency,
      Duration claimWait,
      Duration resultTtl,
      RetryPolicy retryPolicy,
      Duration heartbeatInterval,
      Duration jobTimeout) {
    this(
        node,
        concurrency,
        claimWait,
        resultTtl,
        retryPolicy,
        heartbeatInterval,
        jobTimeout,
        DEFAULT_PRIORITY_MAX_WAIT);
  }

  /** Without a job timeout. */
  public WorkerSettings(
      String node,
      int concurrency,
      Duration claimWait,
      Duration resultTtl,
      RetryPolicy retryPolicy,
      Duration heartbeatInterval) {
    this(node, concurrency, claimWait, resultTtl, retryPolicy, heartbeatInterval, Duration.ZERO);
  }
}
