package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Leases;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How a type's claim loop gets jobs (Sidekiq's fetch): with jobs waiting, one {@code claim-4} call
 * claims a batch at once, high priority first; with none, it waits on a connection of its own for
 * the type's wake-up mark (BZPOPMIN, short timeout, so a stop is prompt), then claims. A wait that
 * runs out claims too, so a mark lost with a killed worker delays jobs by one CLAIM_WAIT at most.
 * Claim calls are repeated until Redis answers; a repeat also answers what a lost call took. Used
 * by the claimer's thread only.
 *
 * <p>With several shards (QUEUE_SHARDS) the claims go round the shards, each call to the next one
 * (a shard found empty passes to the next at once), so that no shard waits behind another; the wait
 * is on every shard's mark at once, a connection each, and ends when any is set. A wait that did
 * not end stays under way for the next round instead of being repeated.
 */
final class Fetch {

  private final JobQueue queue;
  private final Redis claimClient;
  private final WorkerSettings settings;
  private final String type;
  private final StorageWatch storage;
  private final int shards;
  private final RedisConnection[] connections;
  private final CompletableFuture<?>[] waits;
  private int next;

  /**
   * @param claimClient a client whose connections the blocking pops may hold
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
    this.shards = queue.shards().count();
    this.connections = new RedisConnection[shards];
    this.waits = new CompletableFuture<?>[shards];
  }

  /**
   * Claims up to {@code wanted} jobs: at once when the queues had more last time, else after a wait
   * for the wake-up mark. Empty when there were none or Redis is away; null when interrupted.
   */
  List<ClaimedJob> claimSome(int wanted, boolean queueHadMore) {
    if (queueHadMore) {
      List<ClaimedJob> jobs = claimRound(wanted);
      if (jobs == null || !jobs.isEmpty()) {
        return jobs;
      }
    }
    Boolean woken = awaitJobs();
    if (woken == null) {
      return List.of();
    }
    long since = System.nanoTime();
    List<ClaimedJob> jobs = claimRound(wanted);
    if (woken) {
      WorkerMetrics.CLAIM.record(Duration.ofNanos(System.nanoTime() - since));
    }
    return jobs;
  }

  /** Claims from the next shard that has jobs, trying each once; empty when none had any. */
  private List<ClaimedJob> claimRound(int wanted) {
    for (int tried = 0; tried < shards; tried++) {
      int shard = next;
      next = (next + 1) % shards;
      List<ClaimedJob> jobs = claim(shard, wanted);
      if (jobs == null || !jobs.isEmpty()) {
        return jobs;
      }
    }
    return List.of();
  }

  /** One claim call, repeated until Redis answers; a repeat also answers what a lost call took. */
  private List<ClaimedJob> claim(int shard, int wanted) {
    String leasePrefix = Leases.newPrefix();
    boolean[] repeat = {false};
    return storage.untilAnswered(
        () -> {
          Uni<List<ClaimedJob>> call =
              queue.claim(
                  shard,
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
   * True when woken by a mark, false when the wait ran out (worth a claim too), null when Redis is
   * away (after a pause).
   */
  private Boolean awaitJobs() {
    RuntimeException failure = null;
    try {
      for (int shard = 0; shard < shards; shard++) {
        if (waits[shard] == null) {
          waits[shard] =
              queue
                  .awaitJobs(connection(shard), shard, type, settings.claimWait())
                  .subscribeAsCompletionStage();
        }
      }
      CompletableFuture.anyOf(waits).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      // looked at below, wait by wait
    } catch (RuntimeException e) {
      failure = e; // no connection
    }
    boolean woken = false;
    boolean answered = false;
    for (int shard = 0; shard < shards; shard++) {
      CompletableFuture<?> wait = waits[shard];
      if (wait == null || !wait.isDone()) {
        continue;
      }
      waits[shard] = null;
      try {
        woken |= (Boolean) wait.join();
        answered = true;
      } catch (CompletionException | CancellationException e) {
        failure = e.getCause() instanceof RuntimeException r ? r : e;
        dropConnection(shard);
      }
    }
    if (answered) {
      storage.answered();
      return woken;
    }
    Sleep.interruptibly(
        storage.failed(failure != null ? failure : new IllegalStateException("no answer")));
    return null;
  }

  private RedisConnection connection(int shard) {
    if (connections[shard] == null) {
      connections[shard] =
          claimClient
              .connect()
              .ifNoItem()
              .after(settings.claimWait())
              .fail()
              .await()
              .indefinitely();
    }
    return connections[shard];
  }

  /** Gives back the pops' connections. */
  void close() {
    for (int shard = 0; shard < shards; shard++) {
      dropConnection(shard);
    }
  }

  private void dropConnection(int shard) {
    waits[shard] = null;
    if (connections[shard] != null) {
      RedisConnection closing = connections[shard];
      connections[shard] = null;
      closing.close().subscribe().with(ok -> {}, failure -> {});
    }
  }
}
