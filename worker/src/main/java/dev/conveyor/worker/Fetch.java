package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Leases;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import java.time.Duration;
import java.util.List;

/**
 * How a type's claim loop gets jobs (Sidekiq's fetch): with jobs waiting, one {@code claim-4} call
 * claims a batch at once, high priority first; with none, it waits on a connection of its own for
 * the type's wake-up mark (BZPOPMIN, short timeout, so a stop is prompt), then claims. A wait that
 * runs out claims too, so a mark lost with a killed worker delays jobs by one CLAIM_WAIT at most.
 * Claim calls are repeated until Redis answers; a repeat also answers what a lost call took. Used
 * by the claimer's thread only.
 */
final class Fetch {

  private final JobQueue queue;
  private final Redis claimClient;
  private final WorkerSettings settings;
  private final String type;
  private final StorageWatch storage;
  private RedisConnection connection;

  /**
   * @param claimClient a client whose connection the blocking pop may hold
   */
  Fetch(
      JobQueue queue,
      Redis claimClient,
      WorkerSettings settings,
      String type,
      StorageWatch storage) {
    this.queue = queue;
    this.type = type;
    this.claimClient = claimClient;
    this.settings = settings;
    this.storage = storage;
  }

  /**
   * Claims up to {@code wanted} jobs: at once when the queues had more last time, else after a wait
   * for the wake-up mark. Empty when there were none or Redis is away; null when interrupted.
   */
  List<ClaimedJob> claimSome(int wanted, boolean queueHadMore) {
    if (queueHadMore) {
      List<ClaimedJob> jobs = claim(wanted);
      if (jobs == null || !jobs.isEmpty()) {
        return jobs;
      }
    }
    Boolean woken = awaitJobs();
    if (woken == null) {
      return List.of();
    }
    long since = System.nanoTime();
    List<ClaimedJob> jobs = claim(wanted);
    if (woken) {
      WorkerMetrics.CLAIM.record(Duration.ofNanos(System.nanoTime() - since));
    }
    return jobs;
  }

  /** One claim call, repeated until Redis answers; a repeat also answers what a lost call took. */
  private List<ClaimedJob> claim(int wanted) {
    String leasePrefix = Leases.newPrefix();
    boolean[] repeat = {false};
    return storage.untilAnswered(
        () -> {
          Uni<List<ClaimedJob>> call =
              queue.claim(
                  type,
                  settings.node(),
                  wanted,
                  leasePrefix,
                  repeat[0],
                  settings.priorityMaxWait());
          repeat[0] = true;
          return call;
        });
  }

  /**
   * True when woken by the mark, false when the wait ran out (worth a claim too), null when Redis
   * is away (after a pause).
   */
  private Boolean awaitJobs() {
    try {
      if (connection == null) {
        connection =
            claimClient
                .connect()
                .ifNoItem()
                .after(settings.claimWait())
                .fail()
                .await()
                .indefinitely();
      }
      boolean woken =
          queue.awaitJobs(connection, type, settings.claimWait()).await().indefinitely();
      storage.answered();
      return woken;
    } catch (RuntimeException e) {
      dropConnection();
      Sleep.interruptibly(storage.failed(e));
      return null;
    }
  }

  /** Gives back the pop's connection. */
  void close() {
    dropConnection();
  }

  private void dropConnection() {
    if (connection != null) {
      RedisConnection closing = connection;
      connection = null;
      closing.close().subscribe().with(ok -> {}, failure -> {});
    }
  }
}
