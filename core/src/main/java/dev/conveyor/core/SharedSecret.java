package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

/**
 * A secret every node of one system shares without being configured with it: the first node that
 * asks makes a random one and keeps it in Redis (SET NX GET: one round trip, and every asker gets
 * the same answer however they race). Whoever can read Redis can read it; so can they change any
 * job, and a configured secret (CANCEL_SECRET) takes its place where that matters.
 */
public final class SharedSecret {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Redis redis;
  private final String key;
  private final Duration timeout;

  SharedSecret(Redis redis, String key, Duration timeout) {
    this.redis = redis;
    this.key = key;
    this.timeout = timeout;
  }

  /** The secret: the one kept in Redis, or a new one kept now when there is none. */
  public Uni<String> get() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    String candidate = HexFormat.of().formatHex(bytes);
    return Guard.timed(
            redis.send(Request.cmd(Command.SET).arg(key).arg(candidate).arg("NX").arg("GET")),
            timeout,
            "read the shared secret")
        .map(kept -> kept == null ? candidate : kept.toString());
  }
}
