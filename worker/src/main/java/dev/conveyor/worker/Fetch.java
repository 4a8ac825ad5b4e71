package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Leases;
import dev.conveyor.core.StorageUnavailableException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jboss.logging.Logger;

/**
 * How a type's claim loop gets jobs (Sidekiq's fetch): with jobs waiting, one {@code claim-4} call
 * claims a batch at once, high priority first; with none, it waits on a connection of its own for
 * the type's wake-up mark (BZPOPMIN, short timeout, so a stop is prompt), then claims. A wait that
 * runs out claims too, so a mark lost with a killed worker delays jobs by one CLAIM_WAIT at most.
 * Claim calls are repeated until Redis answers; a repeat also answers what a lost call took. Used
 * by the claimer's thread only.
 *
 * <p>With several shards (QUEUE_SHARDS) the claims go round the shards, from a random one: a shard
 * that fills a claim keeps the turn for up to {@link #STAY} claims (so batches stay one shard's),
 * one found empty passes it on at once, so no shard waits long behind another. The wait is on every
 * shard's mark at once, a connection each, and ends when any is set. A wait that did not end stays
 * under way for the next round instead of being repeated.
 */
final class Fetch {

  private static final Logger LOG = Logger.getLogger(Fetch.class);

  private final JobQueue queue;
  private final Redis claimClient;
  private final WorkerSettings settings;
  private final String type;
  private final StorageWatch storage;
  private final int shards;
  private final RedisConnection[] connections;
  private final CompletableFuture<?>[] waits;

  /** Per shard: the lease prefix of a claim whose answer was lost, to repeat; else null. */
  private final String[] unanswered;

  /** Per shard: until when (System.nanoTime) it is passed over after a failed claim. */
  private final long[] passUntil;

  /** Per shard: until when (System.nanoTime) no wait is made on it after a failed one. */
  private final long[] waitPassUntil;

  private int next;

  /** How many claims in a row the current shard has filled. */
  private int stayed;

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
    this.unanswered = new String[shards];
    this.passUntil = new long[shards];
    this.waitPassUntil = new long[shards];
    // workers start at different shards, so that together they take from all at once
    this.next = java.util.concurrent.ThreadLocalRandom.current().nextInt(shards);
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

  /**
   * Claims from the next shard that has jobs, trying each once; empty when none had any. A shard
   * that filled the whole claim is claimed from again, up to {@link #STAY} times in a row, so that
   * a busy worker's claims and completions stay in batches of one shard (a batch over three shards
   * is three script calls of a third each); then the next shard's turn comes whatever is left.
   */
  private List<ClaimedJob> claimRound(int wanted) {
    for (int tried = 0; tried < shards; tried++) {
      int shard = next;
      List<ClaimedJob> jobs = claim(shard, wanted);
      if (jobs != null && jobs.size() == wanted && stayed < STAY - 1) {
        stayed++;
      } else {
        stayed = 0;
        next = (next + 1) % shards;
      }
      if (jobs == null || !jobs.isEmpty()) {
        return jobs;
      }
    }
    return List.of();
  }

  /** Most claims in a row from one shard while it fills them. */
  static final int STAY = 8;

  /**
   * One claim call, repeated until Redis answers; a repeat also answers what a lost call took. With
   * several shards a shard whose Redis fails is passed over for {@link #SHARD_PAUSE} instead (the
   * others' jobs do not wait for its failover), and its lost call is repeated before it is claimed
   * from again.
   */
  private List<ClaimedJob> claim(int shard, int wanted) {
    if (shards > 1) {
      return claimOrPass(shard, wanted);
    }
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

  /** How long a shard whose Redis failed a claim is passed over. */
  static final Duration SHARD_PAUSE = Duration.ofMillis(250);

  private List<ClaimedJob> claimOrPass(int shard, int wanted) {
    if (System.nanoTime() - passUntil[shard] < 0) {
      return List.of();
    }
    boolean repeat = unanswered[shard] != null;
    String leasePrefix = repeat ? unanswered[shard] : Leases.newPrefix();
    try {
      List<ClaimedJob> jobs =
          queue
              .claim(
                  shard,
                  type,
                  settings.node(),
                  wanted,
                  leasePrefix,
                  repeat,
                  settings.priorityMaxWait())
              .await()
              .indefinitely();
      if (unanswered[shard] != null) {
        LOG.infof("shard %d answers claims again", shard);
      }
      unanswered[shard] = null;
      return jobs;
    } catch (StorageUnavailableException e) {
      if (unanswered[shard] == null) {
        LOG.warnf("shard %d does not answer claims (%s): its jobs wait", shard, e.getMessage());
      }
      WorkerMetrics.REDIS_ERRORS.increment();
      unanswered[shard] = leasePrefix;
      passUntil[shard] = System.nanoTime() + SHARD_PAUSE.toNanos();
      return List.of();
    } catch (RuntimeException e) {
      if (e.getCause() instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return null;
      }
      throw e;
    }
  }

  /**
   * True when woken by a mark, false when the wait ran out (worth a claim too), null when Redis is
   * away (after a pause).
   */
  private Boolean awaitJobs() {
    long now = System.nanoTime();
    RuntimeException failure = null;
    List<CompletableFuture<?>> pending = new ArrayList<>(shards);
    for (int shard = 0; shard < shards; shard++) {
      if (waits[shard] == null && now - waitPassUntil[shard] >= 0) {
        try {
          waits[shard] =
              queue
                  .awaitJobs(connection(shard), shard, type, settings.claimWait())
                  .subscribeAsCompletionStage();
        } catch (RuntimeException e) {
          failure = e; // no connection
          waitFailed(shard, now);
        }
      }
      if (waits[shard] != null) {
        pending.add(waits[shard]);
      }
    }
    if (!pending.isEmpty()) {
      try {
        CompletableFuture.anyOf(pending.toArray(CompletableFuture<?>[]::new)).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (ExecutionException e) {
        // looked at below, wait by wait
      }
    }
    boolean woken = false;
    boolean answered = false;
    boolean waiting = false;
    for (int shard = 0; shard < shards; shard++) {
      CompletableFuture<?> wait = waits[shard];
      if (wait == null) {
        continue;
      }
      if (!wait.isDone()) {
        waiting = true;
        continue;
      }
      waits[shard] = null;
      try {
        woken |= (Boolean) wait.join();
        answered = true;
      } catch (CompletionException | CancellationException e) {
        failure = e.getCause() instanceof RuntimeException r ? r : e;
        waitFailed(shard, now);
      }
    }
    if (answered) {
      storage.answered();
      return woken;
    }
    if (waiting) {
      return false; // one shard failed; the others' waits go on, and a claim round passes it by
    }
    Sleep.interruptibly(
        storage.failed(failure != null ? failure : new IllegalStateException("no answer")));
    return null;
  }

  /** A shard's wait failed: its connection is dropped, and with several shards it rests a while. */
  private void waitFailed(int shard, long now) {
    dropConnection(shard);
    if (shards > 1) {
      waitPassUntil[shard] = now + SHARD_PAUSE.toNanos();
    }
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
