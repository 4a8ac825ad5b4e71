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
 */
public record WorkerSettings(
    String node,
    int concurrency,
    Duration claimWait,
    Duration resultTtl,
    RetryPolicy retryPolicy,
    Duration heartbeatInterval,
    Duration jobTimeout) {

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
