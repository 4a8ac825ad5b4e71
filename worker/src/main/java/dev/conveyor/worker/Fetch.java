package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Leases;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How the claim loop gets jobs (Sidekiq's fetch): with jobs waiting, one {@code claim-4} call
 * claims a batch at once; with none, a blocking pop (BLMOVE, short timeout, so a stop is prompt)
 * waits on a connection of its own, and the id it took is claimed with whatever followed it. Claim
 * calls are repeated until Redis answers; a repeat also answers what a lost call took. Used by the
 * claimer's thread only.
 */
final class Fetch {

  private final JobQueue queue;
  private final Redis claimClient;
  private final WorkerSettings settings;
  private final StorageWatch storage;
  private RedisConnection connection;

  /**
   * @param claimClient a client whose connection the blocking pop may hold
   */
  Fetch(JobQueue queue, Redis claimClient, WorkerSettings settings, StorageWatch storage) {
    this.queue = queue;
    this.claimClient = claimClient;
    this.settings = settings;
    this.storage = storage;
  }

  /**
   * Claims up to {@code wanted} jobs: at once when the queue had more last time, else after a
   * blocking pop. Empty when the pop's wait ran out or Redis is away; null when interrupted.
   */
  List<ClaimedJob> claimSome(int wanted, boolean queueHadMore) {
    if (queueHadMore) {
      List<ClaimedJob> jobs = claim(Optional.empty(), wanted);
      if (jobs == null || !jobs.isEmpty()) {
        return jobs;
      }
    }
    Optional<String> id = takeNext();
    if (id.isEmpty()) {
      return List.of();
    }
    long taken = System.nanoTime();
    List<ClaimedJob> jobs = claim(id, wanted);
    WorkerMetrics.CLAIM.record(Duration.ofNanos(System.nanoTime() - taken));
    return jobs;
  }

  /** One claim call, repeated until Redis answers; a repeat also answers what a lost call took. */
  private List<ClaimedJob> claim(Optional<String> first, int wanted) {
    String leasePrefix = Leases.newPrefix();
    boolean[] repeat = {false};
    return storage.untilAnswered(
        () -> {
          Uni<List<ClaimedJob>> call =
              queue.claim(first, settings.node(), wanted, leasePrefix, repeat[0]);
          repeat[0] = true;
          return call;
        });
  }

  private Optional<String> takeNext() {
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
      Optional<String> id =
          queue.takeNext(connection, settings.node(), settings.claimWait()).await().indefinitely();
      storage.answered();
      return id;
    } catch (RuntimeException e) {
      dropConnection();
      Sleep.interruptibly(storage.failed(e));
      return Optional.empty();
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
