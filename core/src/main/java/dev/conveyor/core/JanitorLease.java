package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The Redis guard of the cluster janitor: a lease that one node holds at a time, so two
 * coordinators of a split cluster never both run it. The holder renews it well before it expires; a
 * holder that left the caller's view and stopped beating loses it at once (see {@code
 * hold-lease-2.lua}).
 */
public final class JanitorLease {

  private static final LuaScript TAKE = LuaScript.load("hold-lease-2.lua");

  private final Redis redis;
  private final RedisKeys keys;
  private final Duration timeout;

  public JanitorLease(Redis redis, RedisKeys keys, Duration timeout) {
    this.redis = redis;
    this.keys = keys;
    this.timeout = timeout;
  }

  /** Whether this node holds the lease now, and who does. */
  public record Holding(boolean mine, String holder) {}

  /**
   * Takes or renews the lease for {@code node}, for {@code length}. {@code goneHolder} names a node
   * the caller saw leave its view: if that node holds the lease and its ledger entry has been
   * silent for its heartbeat interval plus {@code silence}, the lease is taken from it.
   */
  public Uni<Holding> hold(
      String node, Duration length, Optional<String> goneHolder, Duration silence) {
    return Guard.timed(
            TAKE.run(
                redis,
                List.of(keys.janitor(), keys.nodePrefix()),
                List.of(
                    node,
                    Long.toString(length.toMillis()),
                    goneHolder.orElse(""),
                    Long.toString(silence.toMillis()))),
            timeout,
            "janitor lease")
        .map(r -> new Holding(r.get(0).toInteger() == 1, r.get(1).toString()));
  }
}
