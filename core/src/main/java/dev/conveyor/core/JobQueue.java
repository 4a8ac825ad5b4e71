package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The queue protocol over Redis: one method per job transition of the hot path, each one Lua
 * script, plus the reads. (Recovery of a worker's jobs is {@link JobRecovery}; an operator's
 * actions on failed jobs, {@link DeadLetters}.) Every call fails with {@link
 * StorageUnavailableException} when Redis cannot be reached or does not answer within the
 * configured timeout, so no caller ever hangs on a lost Redis.
 */
public final class JobQueue {

  private static final LuaScript SUBMIT = LuaScript.load("submit-8.lua");
  private static final LuaScript CLAIM = LuaScript.load("claim-4.lua");
  private static final LuaScript COMPLETE = LuaScript.load("complete-4.lua");
  private static final LuaScript FAIL = LuaScript.load("fail-7.lua");
  private static final LuaScript PROMOTE = LuaScript.load("promote-3.lua");
  private static final LuaScript CANCEL = LuaScript.load("cancel-5.lua");

  /** How many recently accepted ids the consoles can list. */
  public static final int RECENT_KEPT = 200;

  private final Redis redis;
  private final Shards shards;
  private final RedisKeys keys;
  private final Duration timeout;
  private final Durability durability;

  /**
   * @param redis the client (the Quarkus-managed one in the apps)
   * @param keys key names, with this system's prefix
   * @param timeout how long one Redis call may take before Redis counts as unavailable
   */
  public JobQueue(Redis redis, RedisKeys keys, Duration timeout) {
    this(redis, keys, timeout, Durability.NONE);
  }

  /**
   * @param durability how many replicas must have a submission or a completion before it counts
   */
  public JobQueue(Redis redis, RedisKeys keys, Duration timeout, Durability durability) {
    this(redis, Shards.one(keys), timeout, durability);
  }

  /**
   * @param shards the queue's shards: each job lives on the one its id picks
   */
  public JobQueue(Redis redis, Shards shards, Duration timeout, Durability durability) {
    this.redis = redis;
    this.shards = shards;
    this.keys = shards.base();
    this.timeout = timeout;
    this.durability = durability;
  }

  /** Shard 0's keys (the only shard's, unless QUEUE_SHARDS is above 1). */
  public RedisKeys keys() {
    return keys;
  }

  public Shards shards() {
    return shards;
  }

  /** How long one Redis call may take before Redis counts as unavailable. */
  public Duration timeout() {
    return timeout;
  }

  /**
   * The outcome of a submission: whether it was queued now, the job's status after it, and the api
   * that accepted the job — the submitter when queued now, else the one that queued it first.
   */
  public record Submission(boolean queued, JobStatus status, String acceptedBy) {}

  /** Queues the job unless the same data is already pending, working or worked. */
  public Uni<Submission> submit(String id, String data, String acceptedBy) {
    return submit(new Work(id, data), acceptedBy);
  }

  /** Queues the job unless the same type and data is already pending, working or worked. */
  public Uni<Submission> submit(Work job, String acceptedBy) {
    return submit(List.of(job), acceptedBy).map(List::getFirst);
  }

  /**
   * One job to queue: its id (see {@link CallbackId}), its data and the rest of what it asks for.
   */
  public record Work(String id, String data, JobSpec spec) {
    /** The seed's job: the default type, normal priority, due now. */
    public Work(String id, String data) {
      this(id, data, JobSpec.PLAIN);
    }
  }

  /**
   * Queues several jobs in one step, each unless the same data is already pending, working or
   * worked. One answer per job, in order; the same data twice in one call is queued once.
   */
  public Uni<List<Submission>> submit(List<Work> jobs, String acceptedBy) {
    return submit(jobs, acceptedBy, timeout);
  }

  /**
   * As {@link #submit(List, String)}, with a time limit of its own instead of the timeout. Jobs of
   * different shards are submitted by one script call per shard, at once.
   */
  public Uni<List<Submission>> submit(List<Work> jobs, String acceptedBy, Duration limit) {
    if (jobs.isEmpty()) {
      throw new IllegalArgumentException("nothing to submit");
    }
    if (shards.count() == 1) {
      return submit(keys, jobs, acceptedBy, limit);
    }
    return perShard(jobs, Work::id, (shard, some) -> submit(shard, some, acceptedBy, limit));
  }

  /**
   * One call per shard with the items whose job ids live there, all at once; the answers, one per
   * item, in the items' order.
   */
  private <T, R> Uni<List<R>> perShard(
      List<T> items, Function<T, String> idOf, BiFunction<RedisKeys, List<T>, Uni<List<R>>> call) {
    List<List<Integer>> positions = new ArrayList<>(shards.count());
    for (int s = 0; s < shards.count(); s++) {
      positions.add(new ArrayList<>());
    }
    for (int i = 0; i < items.size(); i++) {
      positions.get(shards.indexOf(idOf.apply(items.get(i)))).add(i);
    }
    List<Uni<List<R>>> calls = new ArrayList<>();
    List<List<Integer>> called = new ArrayList<>();
    for (int shard = 0; shard < positions.size(); shard++) {
      List<Integer> at = positions.get(shard);
      if (!at.isEmpty()) {
        calls.add(call.apply(shards.get(shard), at.stream().map(items::get).toList()));
        called.add(at);
      }
    }
    return Uni.combine()
        .all()
        .unis(calls)
        .with(
            answers -> {
              List<R> inOrder = new ArrayList<>(Collections.nCopies(items.size(), (R) null));
              for (int c = 0; c < answers.size(); c++) {
                @SuppressWarnings("unchecked")
                List<R> some = (List<R>) answers.get(c);
                for (int i = 0; i < some.size(); i++) {
                  inOrder.set(called.get(c).get(i), some.get(i));
                }
              }
              return inOrder;
            });
  }

  private Uni<List<Submission>> submit(
      RedisKeys keys, List<Work> jobs, String acceptedBy, Duration limit) {
    List<String> args = new ArrayList<>(2 + 3 * jobs.size());
    args.add(acceptedBy);
    args.add(Integer.toString(RECENT_KEPT));
    for (Work job : jobs) {
      args.add(job.id());
      args.add(job.data());
      args.add(job.spec().wire());
    }
    return guard(
            SUBMIT.run(
                redis,
                List.of(
                    keys.queue(),
                    keys.stats(),
                    keys.deadLetters(),
                    keys.recent(),
                    keys.jobPrefix(),
                    keys.delayed(),
                    keys.types(),
                    keys.webhooks()),
                args,
                durability),
            limit,
            "submit")
        .map(
            r -> {
              List<Submission> answers = new ArrayList<>(r.size());
              for (int i = 0; i < r.size(); i++) {
                String answer = r.get(i).toString();
                int bar = answer.indexOf('|');
                answers.add(
                    bar < 0
                        ? new Submission(true, JobStatus.PENDING, acceptedBy)
                        : new Submission(
                            false,
                            JobStatus.fromWire(answer.substring(0, bar)),
                            answer.substring(bar + 1)));
              }
              return answers;
            });
  }

  /** The job with this id, if Redis has it (worked and failed jobs expire). */
  public Uni<Optional<JobRecord>> find(String id) {
    Request hmget = Request.cmd(Command.HMGET).arg(shards.of(id).job(id));
    JobRecord.READABLE_FIELDS.forEach(hmget::arg);
    return guard(redis.send(hmget), "read job")
        .map(
            r -> {
              Map<String, String> fields = new LinkedHashMap<>();
              for (int i = 0; i < JobRecord.READABLE_FIELDS.size(); i++) {
                Response value = r.get(i);
                if (value != null) {
                  fields.put(JobRecord.READABLE_FIELDS.get(i), value.toString());
                }
              }
              String status = fields.remove("status");
              return status == null
                  ? Optional.<JobRecord>empty()
                  : Optional.of(new JobRecord(id, JobStatus.fromWire(status), fields));
            });
  }

  /**
   * Waits up to {@code wait}, on a dedicated connection, until jobs of this type may be queued: it
   * takes the type's wake-up mark (BZPOPMIN), which submissions set and claims that leave jobs set
   * again. True when woken, false when the wait ran out. The jobs stay queued until a {@link
   * #claim}.
   */
  public Uni<Boolean> awaitJobs(RedisConnection connection, String type, Duration wait) {
    return awaitJobs(connection, 0, type, wait);
  }

  /** As {@link #awaitJobs(RedisConnection, String, Duration)}, on one shard's wake-up mark. */
  public Uni<Boolean> awaitJobs(RedisConnection connection, int shard, String type, Duration wait) {
    RedisKeys keys = shards.get(shard);
    double seconds = Math.max(wait.toMillis(), 10) / 1000.0;
    Request bzpopmin =
        Request.cmd(Command.BZPOPMIN).arg(keys.wake(type)).arg(Double.toString(seconds));
    return guard(connection.send(bzpopmin), wait.plus(timeout), "wait for jobs")
        .map(r -> r != null && r.size() > 0);
  }

  /**
   * Takes ownership of up to {@code max} jobs of one type in one step, high priority before normal
   * before low, each oldest first; a normal or low job that waited {@code maxWait} goes first
   * (zero: strictly by priority). Each claimed id sits in this worker's processing list until it is
   * completed, failed or recovered. Empty when the type's queues are empty.
   *
   * @param leasePrefix from {@link Leases#newPrefix}, the same for a call and its repeats
   * @param repeat true when this repeats a call with the same prefix whose answer was lost (it
   *     failed as {@link StorageUnavailableException}, perhaps after Redis ran it): the jobs that
   *     call claimed are in the answer too, so none is left working under a lease nobody holds
   */
  public Uni<List<ClaimedJob>> claim(
      String type, String node, int max, String leasePrefix, boolean repeat, Duration maxWait) {
    return claim(0, type, node, max, leasePrefix, repeat, maxWait);
  }

  /**
   * As {@link #claim(String, String, int, String, boolean, Duration)}, from one shard's queues (a
   * repeat goes to the same shard).
   */
  public Uni<List<ClaimedJob>> claim(
      int shard,
      String type,
      String node,
      int max,
      String leasePrefix,
      boolean repeat,
      Duration maxWait) {
    RedisKeys keys = shards.get(shard);
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, got " + max);
    }
    return guard(
            CLAIM.run(
                redis,
                List.of(keys.queue(), keys.processing(node), keys.stats(), keys.jobPrefix()),
                List.of(
                    node,
                    leasePrefix,
                    Integer.toString(max),
                    type,
                    repeat ? "1" : "0",
                    Long.toString(maxWait.toMillis()),
                    keys.events())),
            "claim")
        .map(
            r -> {
              List<ClaimedJob> jobs = new ArrayList<>(r.size() / 4);
              for (int i = 0; i + 3 < r.size(); i += 4) {
                jobs.add(
                    new ClaimedJob(
                        r.get(i).toString(),
                        r.get(i + 1).toString(),
                        r.get(i + 2).toInteger(),
                        r.get(i + 3).toString()));
              }
              return jobs;
            });
  }

  /**
   * Takes ownership of the next job of this type, as one claim of one job, strictly by priority.
   */
  public Uni<Optional<ClaimedJob>> claimOne(String type, String node, String leasePrefix) {
    return claim(type, node, 1, leasePrefix, false, Duration.ZERO)
        .map(jobs -> jobs.stream().findFirst());
  }

  /**
   * Records the result, kept for {@code ttl}; false when fenced or cancelled (the job is no longer
   * ours).
   */
  public Uni<Boolean> complete(ClaimedJob job, String node, String resultJson, Duration ttl) {
    return complete(List.of(new Completion(job, resultJson)), node, ttl)
        .map(r -> r.getFirst() == CompleteOutcome.RECORDED);
  }

  /** What became of a result, in {@code complete-4}'s numbering. */
  public enum CompleteOutcome {
    /** dropped: the job was recovered and is owned by another claim */
    FENCED,
    RECORDED,
    /** dropped: the job was cancelled while it ran */
    CANCELLED
  }

  /** A finished job and its result (JSON text). */
  public record Completion(ClaimedJob job, String resultJson) {}

  /**
   * Records several results in one step, each kept for {@code ttl}. One answer per completion, in
   * order.
   */
  public Uni<List<CompleteOutcome>> complete(
      List<Completion> completions, String node, Duration ttl) {
    if (shards.count() == 1) {
      return complete(keys, completions, node, ttl);
    }
    return perShard(
        completions, c -> c.job().id(), (shard, some) -> complete(shard, some, node, ttl));
  }

  private Uni<List<CompleteOutcome>> complete(
      RedisKeys keys, List<Completion> completions, String node, Duration ttl) {
    List<String> args = new ArrayList<>(3 + 3 * completions.size());
    args.add(node);
    args.add(Long.toString(ttl.toMillis()));
    args.add(keys.events());
    for (Completion c : completions) {
      args.add(c.job().id());
      args.add(c.job().lease());
      args.add(c.resultJson());
    }
    return guard(
            COMPLETE.run(
                redis,
                List.of(keys.processing(node), keys.stats(), keys.jobPrefix(), keys.webhooks()),
                args,
                durability),
            "complete")
        .map(
            r -> {
              CompleteOutcome[] outcomes = CompleteOutcome.values();
              List<CompleteOutcome> recorded = new ArrayList<>(r.size());
              for (int i = 0; i < r.size(); i++) {
                recorded.add(outcomes[r.get(i).toInteger()]);
              }
              return recorded;
            });
  }

  /** What became of a failed attempt. */
  public enum FailOutcome {
    FENCED,
    RETRY_SCHEDULED,
    FAILED,
    /** dropped: the job was cancelled while it ran */
    CANCELLED
  }

  /** Records a failed attempt: retried after a backoff, or failed after the last attempt. */
  public Uni<FailOutcome> fail(ClaimedJob job, String node, String error, RetryPolicy policy) {
    RedisKeys keys = shards.of(job.id());
    return guard(
            FAIL.run(
                redis,
                List.of(
                    keys.job(job.id()),
                    keys.processing(node),
                    keys.stats(),
                    keys.queue(),
                    keys.delayed(),
                    keys.deadLetters(),
                    keys.webhooks()),
                List.of(
                    job.id(),
                    job.lease(),
                    error,
                    Integer.toString(policy.maxAttempts()),
                    Long.toString(policy.backoffAfter(job.attempt()).toMillis()),
                    Long.toString(policy.failedTtl().toMillis()),
                    Integer.toString(policy.maxDeadLetters()),
                    node,
                    keys.events())),
            "fail")
        .map(r -> FailOutcome.values()[r.toInteger()]);
  }

  /**
   * Moves up to {@code limit} due jobs (retries whose backoff is over, delayed jobs whose time has
   * come) to their queues.
   */
  public Uni<Integer> promoteDue(int limit) {
    if (shards.count() == 1) {
      return promoteDue(keys, limit);
    }
    List<Uni<Integer>> calls = new ArrayList<>();
    for (RedisKeys shard : shards.all()) {
      calls.add(promoteDue(shard, limit));
    }
    return Uni.combine()
        .all()
        .unis(calls)
        .with(counts -> counts.stream().mapToInt(c -> (Integer) c).sum());
  }

  private Uni<Integer> promoteDue(RedisKeys keys, int limit) {
    return guard(
            PROMOTE.run(
                redis,
                List.of(keys.delayed(), keys.queue(), keys.jobPrefix()),
                List.of(Integer.toString(limit))),
            "promote due jobs")
        .map(Response::toInteger);
  }

  /**
   * What a cancel found: the status the job had (empty when there is no such job) and, for a
   * working job, the worker that held it. The job was cancelled by this call when {@link
   * #cancelledNow}; otherwise it was final already and nothing changed.
   */
  public record Cancellation(Optional<JobStatus> before, Optional<String> worker) {
    public boolean cancelledNow() {
      return before.isPresent() && !before.get().isFinal();
    }
  }

  /**
   * Cancels a job that is pending, delayed or working (see {@code cancel-5.lua}); it stays readable
   * as cancelled for {@code ttl}. A working job's worker is told on its cancels channel.
   */
  public Uni<Cancellation> cancel(String id, Duration ttl) {
    RedisKeys keys = shards.of(id);
    return guard(
            CANCEL.run(
                redis,
                List.of(keys.job(id), keys.queue(), keys.delayed(), keys.stats(), keys.webhooks()),
                List.of(id, Long.toString(ttl.toMillis()), keys.events(), keys.cancelsPrefix())),
            "cancel")
        .map(
            r -> {
              String before = r.get(0).toString();
              String worker = r.get(1).toString();
              return new Cancellation(
                  before.isEmpty() ? Optional.empty() : Optional.of(JobStatus.fromWire(before)),
                  worker.isEmpty() ? Optional.empty() : Optional.of(worker));
            });
  }

  /** The status of each job, in order (empty where Redis has no such job): one round trip. */
  public Uni<List<Optional<JobStatus>>> statuses(List<String> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    if (shards.count() > 1) {
      // on a cluster one batch reaches one master: a batch per shard
      return perShard(ids, id -> id, (shard, some) -> statusesOfOneShard(some));
    }
    return statusesOfOneShard(ids);
  }

  private Uni<List<Optional<JobStatus>>> statusesOfOneShard(List<String> ids) {
    List<Request> batch = new ArrayList<>(ids.size());
    for (String id : ids) {
      batch.add(Request.cmd(Command.HGET).arg(shards.of(id).job(id)).arg("status"));
    }
    return guard(redis.batch(batch), "read statuses")
        .map(
            answers -> {
              List<Optional<JobStatus>> statuses = new ArrayList<>(answers.size());
              for (Response a : answers) {
                statuses.add(
                    a == null ? Optional.empty() : Optional.of(JobStatus.fromWire(a.toString())));
              }
              return statuses;
            });
  }

  /** Answers when Redis answers a PING in time. */
  public Uni<Void> ping() {
    return guard(redis.send(Request.cmd(Command.PING)), "ping").replaceWithVoid();
  }

  /**
   * Answers when the Redis that holds this shard answers in time (on a cluster, its master: an
   * EXISTS of the shard's counters, which the client sends where that key lives).
   */
  public Uni<Void> ping(int shard) {
    if (shards.count() == 1) {
      return ping();
    }
    return guard(redis.send(Request.cmd(Command.EXISTS).arg(shards.get(shard).stats())), "ping")
        .replaceWithVoid();
  }

  private <T> Uni<T> guard(Uni<T> call, String what) {
    return Guard.timed(call, timeout, what);
  }

  private <T> Uni<T> guard(Uni<T> call, Duration limit, String what) {
    return Guard.timed(call, limit, what);
  }
}
