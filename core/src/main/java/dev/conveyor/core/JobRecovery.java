package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Putting a worker's jobs back on the queue, one script per moment: the worker itself at its start
 * ({@code enlist-7}) and at its orderly stop ({@code retire-7}), the cluster janitor after the
 * worker was lost ({@code reap-9}). Each puts the worker's processing list back at the head of the
 * queue and fails the jobs lost too often (poison pills). Fails with {@link
 * StorageUnavailableException} when Redis does not answer in time.
 */
public final class JobRecovery {

  private static final LuaScript ENLIST = LuaScript.load("enlist-7.lua");
  private static final LuaScript RETIRE = LuaScript.load("retire-7.lua");
  private static final LuaScript REAP = LuaScript.load("reap-9.lua");

  private final Redis redis;
  private final Shards shards;
  private final Duration timeout;

  public JobRecovery(Redis redis, RedisKeys keys, Duration timeout) {
    this(redis, Shards.one(keys), timeout);
  }

  /** Over every shard: a worker has a processing list, and a place in the workers set, on each. */
  public JobRecovery(Redis redis, Shards shards, Duration timeout) {
    this.redis = redis;
    this.shards = shards;
    this.timeout = timeout;
  }

  /**
   * How many of a worker's jobs went back to the queue, and how many were failed instead; or, for a
   * worker that {@link #reap} found still beating, none and {@code stillBeating}.
   */
  public record Outcome(int requeued, int failed, boolean stillBeating) {
    public Outcome(int requeued, int failed) {
      this(requeued, failed, false);
    }
  }

  /**
   * A worker starts: what an earlier life of its name left goes back on the queue, and the name is
   * registered among the workers (so the janitor's sweep finds its list without a scan).
   */
  public Uni<Outcome> enlist(String node, RetryPolicy policy) {
    return onEachShard(0, keys -> own(ENLIST, keys, node, policy, "recover at start"));
  }

  /** A worker stops in an orderly way: its unfinished jobs go back, its name is unregistered. */
  public Uni<Outcome> retire(String node, RetryPolicy policy) {
    return onEachShard(0, keys -> own(RETIRE, keys, node, policy, "recover at stop"));
  }

  private Uni<Outcome> own(
      LuaScript script, RedisKeys keys, String node, RetryPolicy policy, String what) {
    return run(script, ownKeys(keys, node), withEvents(keys, args(node, policy)), what);
  }

  /** The step on shards {@code from} and after, one after the other; the outcomes added up. */
  private Uni<Outcome> onEachShard(
      int from, java.util.function.Function<RedisKeys, Uni<Outcome>> step) {
    Uni<Outcome> total = Uni.createFrom().item(new Outcome(0, 0));
    for (int s = from; s < shards.count(); s++) {
      RedisKeys keys = shards.get(s);
      total =
          total.flatMap(
              sum ->
                  step.apply(keys)
                      .map(
                          o ->
                              new Outcome(
                                  sum.requeued() + o.requeued(), sum.failed() + o.failed())));
    }
    return total;
  }

  /**
   * The janitor recovers a worker it believes dead, only if the worker's ledger entry has been
   * silent for its own heartbeat interval plus {@code silentFor} (or is gone): a worker that beat
   * more recently keeps its jobs, and the answer says {@code stillBeating}. Also removes the entry
   * and unregisters the worker, in the same step. With several shards that step is on shard 0
   * (which holds the ledger); once it has reaped, the worker's lists on the other shards are put
   * back as at an orderly stop (a janitor lost in between leaves them to the next sweep, which
   * finds the name in those shards' workers sets and no ledger entry).
   */
  public Uni<Outcome> reap(String node, RetryPolicy policy, Duration silentFor) {
    return reapOnBase(node, policy, silentFor)
        .flatMap(
            first ->
                first.stillBeating() || shards.count() == 1
                    ? Uni.createFrom().item(first)
                    : onEachShard(1, keys -> own(RETIRE, keys, node, policy, "reap"))
                        .map(
                            rest ->
                                new Outcome(
                                    first.requeued() + rest.requeued(),
                                    first.failed() + rest.failed())));
  }

  private Uni<Outcome> reapOnBase(String node, RetryPolicy policy, Duration silentFor) {
    RedisKeys keys = shards.base();
    List<String> args = args(node, policy);
    args.add(Long.toString(silentFor.toMillis()));
    withEvents(keys, args);
    return run(
        REAP,
        List.of(
            keys.processing(node),
            keys.queue(),
            keys.stats(),
            keys.deadLetters(),
            keys.jobPrefix(),
            keys.node(node),
            keys.ledger(),
            keys.workers(),
            keys.webhooks()),
        args,
        "reap");
  }

  /** The workers that may own a processing list (see {@link RedisKeys#workers}), by name. */
  public Uni<List<String>> workers() {
    return shards
        .sendToEach(
            redis,
            keys -> Request.cmd(Command.SMEMBERS).arg(keys.workers()),
            timeout,
            "list workers")
        .map(
            answers -> {
              java.util.SortedSet<String> names = new java.util.TreeSet<>();
              for (Response r : answers) {
                for (int i = 0; i < r.size(); i++) {
                  names.add(r.get(i).toString());
                }
              }
              return List.copyOf(names);
            });
  }

  private static List<String> ownKeys(RedisKeys keys, String node) {
    return List.of(
        keys.processing(node),
        keys.queue(),
        keys.stats(),
        keys.deadLetters(),
        keys.jobPrefix(),
        keys.workers(),
        keys.webhooks());
  }

  private static List<String> withEvents(RedisKeys keys, List<String> args) {
    args.add(keys.events());
    return args;
  }

  private static List<String> args(String node, RetryPolicy policy) {
    List<String> args = new ArrayList<>(6);
    args.add(node);
    args.add(Integer.toString(policy.maxRecoveries()));
    args.add(Long.toString(policy.failedTtl().toMillis()));
    args.add(Integer.toString(policy.maxDeadLetters()));
    return args;
  }

  private Uni<Outcome> run(LuaScript script, List<String> keys, List<String> args, String what) {
    return Guard.timed(script.run(redis, keys, args), timeout, what).map(JobRecovery::outcome);
  }

  private static Outcome outcome(Response r) {
    return r.get(0).toInteger() < 0
        ? new Outcome(0, 0, true)
        : new Outcome(r.get(0).toInteger(), r.get(1).toInteger());
  }
}
