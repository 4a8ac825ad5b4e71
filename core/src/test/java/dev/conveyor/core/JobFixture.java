package dev.conveyor.core;

import dev.conveyor.testkit.TestRedis;
import java.time.Duration;

/**
 * Named builders of jobs for the script contract tests (JobRunr's {@code aJob()}): {@code
 * aJob().withData("x").claimedBy("w1", queue, redis)} puts a job where a test needs it through the
 * real scripts, the way the api and a worker would. (It lives beside the tests of {@code core}, not
 * in {@code testkit}: the testkit cannot depend on {@code core}, whose tests depend on it.)
 */
final class JobFixture {

  private static final Duration WAIT = Duration.ofSeconds(5);

  private String id = "ID1";
  private String data = "foo";
  private String acceptedBy = "api";

  private JobFixture() {}

  /** A job with id {@code ID1}, data {@code foo}, accepted by {@code api}. */
  static JobFixture aJob() {
    return new JobFixture();
  }

  JobFixture withId(String id) {
    this.id = id;
    return this;
  }

  JobFixture withData(String data) {
    this.data = data;
    return this;
  }

  JobFixture acceptedBy(String api) {
    this.acceptedBy = api;
    return this;
  }

  /** Submits it ({@code submit-8}): pending at the queue's head, unless the same data is there. */
  JobQueue.Submission submittedTo(JobQueue queue) {
    return queue.submit(id, data, acceptedBy).await().atMost(WAIT);
  }

  /** Submits it, then {@code node} takes the queue's next job the way a worker does. */
  ClaimedJob claimedBy(String node, JobQueue queue, TestRedis redis) {
    submittedTo(queue);
    return next(node, queue, redis);
  }

  /**
   * {@code claim-4} of one job of the default type, the way a worker takes the queue's next job.
   */
  static ClaimedJob next(String node, JobQueue queue, TestRedis redis) {
    return queue
        .claimOne(JobSpec.DEFAULT_TYPE, node, node + "-lease-" + System.nanoTime())
        .await()
        .atMost(WAIT)
        .orElseThrow();
  }
}
