package dev.conveyor.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.CallbackId;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobRecord;
import dev.conveyor.core.JobSpec;
import dev.conveyor.core.JobStatus;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.core.Store;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Runs a handler against a real Redis the way the worker does, for a handler's tests: a real {@link
 * Worker} of the handler's type claims the job, runs the handler under its retries and JOB_TIMEOUT,
 * and records the outcome through the same scripts as in production. A test is a few lines:
 *
 * <pre>{@code
 * @ExtendWith(RedisExtension.class)
 * class ChecksumHandlerTest {
 *   @Test
 *   void answersTheSha256(TestRedis redis) {
 *     try (HandlerHarness harness = HandlerHarness.start(redis.url(), redis.prefix(), new ChecksumHandler())) {
 *       HandlerHarness.Outcome outcome = harness.run("hello");
 *       assertEquals("worked", outcome.status());
 *       assertEquals("2cf24d…", outcome.result().get("sha256").asText());
 *     }
 *   }
 * }
 * }</pre>
 *
 * (It lives in the worker module, beside the handlers it tests, because the testkit module sits
 * below the worker; its Redis comes from the testkit's {@code RedisExtension}.)
 */
public final class HandlerHarness implements AutoCloseable {

  /** How long {@link #run} waits for an outcome by default. */
  public static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final Vertx vertx;
  private final Redis client;
  private final Redis claimClient;
  private final JobQueue queue;
  private final Worker worker;
  private final String type;
  private final ObjectMapper json = new ObjectMapper();

  /**
   * What became of a job: its status ({@code worked} or {@code failed}, as GET shows it), its
   * result (null unless worked), its attempts and its last error (null when none failed).
   */
  public record Outcome(String status, JsonNode result, int attempts, String lastError) {}

  private HandlerHarness(
      String redisUrl,
      String prefix,
      String type,
      JobHandler handler,
      int concurrency,
      RetryPolicy retries,
      Duration jobTimeout) {
    this.type = type;
    this.vertx = Vertx.vertx();
    this.client =
        Redis.createClient(
            vertx, new RedisOptions().setConnectionString(redisUrl).setMaxPoolWaiting(1024));
    this.claimClient =
        Redis.createClient(
            vertx,
            new RedisOptions()
                .setConnectionString(redisUrl)
                .setMaxPoolSize(3)
                .setMaxPoolWaiting(3));
    Store store = new Store(client, new RedisKeys(prefix), TIMEOUT);
    this.queue = store.queue();
    queue.ping().await().atMost(TIMEOUT);
    this.worker =
        new Worker(
            vertx,
            store,
            claimClient,
            redisUrl,
            new WorkerSettings(
                "harness-" + type + "@" + prefix,
                concurrency,
                Duration.ofMillis(200),
                Duration.ofMinutes(10),
                retries,
                Duration.ofMillis(500),
                jobTimeout),
            List.of(new ServedType(type, handler, concurrency)),
            json);
    worker.start();
  }

  /**
   * A worker of the handler's type ({@link JobType}, or the default type), one job at a time, three
   * attempts 50 ms apart, no JOB_TIMEOUT.
   */
  public static HandlerHarness start(String redisUrl, String prefix, JobHandler handler) {
    return start(
        redisUrl,
        prefix,
        handler,
        new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMinutes(10), 100, 3),
        Duration.ZERO);
  }

  /** As {@link #start(String, String, JobHandler)}, with these retries and this JOB_TIMEOUT. */
  public static HandlerHarness start(
      String redisUrl,
      String prefix,
      JobHandler handler,
      RetryPolicy retries,
      Duration jobTimeout) {
    return new HandlerHarness(
        redisUrl, prefix, JobTypes.typeOf(handler.getClass()), handler, 1, retries, jobTimeout);
  }

  /** Submits {@code data} as the api does (a POST with this type) and waits for its outcome. */
  public Outcome run(String data) {
    return await(submit(data), DEFAULT_WAIT);
  }

  /** Submits {@code data} as a job of the handler's type; its callback id. */
  public String submit(String data) {
    String id = CallbackId.of(type, data);
    JobSpec spec = type.equals(JobSpec.DEFAULT_TYPE) ? JobSpec.PLAIN : JobSpec.ofType(type);
    queue.submit(new JobQueue.Work(id, data, spec), "harness").await().atMost(TIMEOUT);
    return id;
  }

  /**
   * Waits up to {@code within} for the job to be worked or failed (every retry spent). Redis shows
   * the outcome a moment before the worker has heard it was recorded: when no other job is in
   * flight, this also waits for that (up to a second), so {@link #worker()}'s counts include the
   * job.
   */
  public Outcome await(String id, Duration within) {
    Instant deadline = Instant.now().plus(within);
    while (Instant.now().isBefore(deadline)) {
      Optional<JobRecord> job = queue.find(id).await().atMost(TIMEOUT);
      if (job.isPresent()
          && (job.get().status() == JobStatus.WORKED || job.get().status() == JobStatus.FAILED)) {
        Instant heard = Instant.now().plusSeconds(1);
        while (worker.inFlight() > 0
            && Instant.now().isBefore(heard)
            && Sleep.interruptibly(Duration.ofMillis(5))) {
          // the outcome writer's answer is on its way
        }
        return outcome(job.get());
      }
      if (!Sleep.interruptibly(Duration.ofMillis(20))) {
        break;
      }
    }
    throw new AssertionError("job " + id + " was neither worked nor failed within " + within);
  }

  private Outcome outcome(JobRecord job) {
    try {
      JsonNode result =
          job.field("result").isPresent() ? json.readTree(job.field("result").get()) : null;
      return new Outcome(
          job.status().wire(),
          result,
          Integer.parseInt(job.field("attempts").orElse("0")),
          job.field("last_error").orElse(null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The worker the harness runs, for what a test wants to see of it (its counts). */
  public Worker worker() {
    return worker;
  }

  /** Stops the worker as SIGTERM would, and closes the clients. */
  @Override
  public void close() {
    worker.stop(Duration.ofSeconds(5));
    claimClient.close();
    client.close();
    vertx.closeAndAwait();
  }
}
