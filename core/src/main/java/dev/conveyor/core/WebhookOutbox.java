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
 * The deliveries owed to notify_urls, kept in Redis: the scripts that make a job final queue one
 * per URL (see {@code lua/includes/notify.lua}); workers take the due ones under a lease ({@code
 * webhook-take-1}), POST them and settle them ({@code webhook-settle-3}). Kept outside any worker,
 * a delivery survives the worker that ran the job, and the one that was sending it.
 */
public final class WebhookOutbox {

  private static final LuaScript TAKE = LuaScript.load("webhook-take-1.lua");
  private static final LuaScript SETTLE = LuaScript.load("webhook-settle-3.lua");

  /** How many given-up deliveries are kept for operators to see. */
  public static final int UNDELIVERED_KEPT = 1_000;

  private final Redis redis;
  private final Shards shards;
  private final Duration timeout;

  /** Which shard the next take starts with, so that none waits behind another. */
  private final java.util.concurrent.atomic.AtomicInteger nextShard =
      new java.util.concurrent.atomic.AtomicInteger();

  /** One outbox per shard: a job's deliveries are queued on its shard. */
  WebhookOutbox(Redis redis, Shards shards, Duration timeout) {
    this.redis = redis;
    this.shards = shards;
    this.timeout = timeout;
  }

  /**
   * One delivery: the job's final view (its stored fields as a JSON object) to one URL.
   *
   * @param attempts how many were made before this one
   */
  public record Delivery(String member, int attempts, String id, String url, String fieldsJson) {

    static Delivery of(String member) {
      int a = member.indexOf('\n');
      int b = member.indexOf('\n', a + 1);
      int c = member.indexOf('\n', b + 1);
      return new Delivery(
          member,
          Integer.parseInt(member.substring(0, a)),
          member.substring(a + 1, b),
          member.substring(b + 1, c),
          member.substring(c + 1));
    }
  }

  /** The deliveries due now, at most {@code max}, each held for {@code lease}. */
  public Uni<List<Delivery>> take(Duration lease, int max) {
    if (shards.count() == 1) {
      return take(shards.base(), lease, max);
    }
    int first = Math.floorMod(nextShard.getAndIncrement(), shards.count());
    Uni<List<Delivery>> taken = Uni.createFrom().item(List.of());
    for (int i = 0; i < shards.count(); i++) {
      RedisKeys keys = shards.get((first + i) % shards.count());
      taken =
          taken.flatMap(
              so -> {
                if (so.size() >= max) {
                  return Uni.createFrom().item(so);
                }
                return take(keys, lease, max - so.size())
                    .map(
                        more -> {
                          List<Delivery> all = new ArrayList<>(so);
                          all.addAll(more);
                          return all;
                        });
              });
    }
    return taken;
  }

  private Uni<List<Delivery>> take(RedisKeys keys, Duration lease, int max) {
    return Guard.timed(
            TAKE.run(
                redis,
                List.of(keys.webhooks()),
                List.of(Long.toString(lease.toMillis()), Integer.toString(max))),
            timeout,
            "take webhook deliveries")
        .map(
            r -> {
              List<Delivery> taken = new ArrayList<>(r.size());
              for (Response member : r) {
                taken.add(Delivery.of(member.toString()));
              }
              return taken;
            });
  }

  /** The receiver answered 2xx. False when another taker settled it first. */
  public Uni<Boolean> delivered(Delivery delivery) {
    return settle(delivery, "delivered", Duration.ZERO, "");
  }

  /** Tried again after {@code backoff}. */
  public Uni<Boolean> retry(Delivery delivery, Duration backoff, String error) {
    return settle(delivery, "retry", backoff, error);
  }

  /** Given up after its last attempt: kept in the undelivered list. */
  public Uni<Boolean> giveUp(Delivery delivery, String error) {
    return settle(delivery, "undelivered", Duration.ZERO, error);
  }

  private Uni<Boolean> settle(Delivery delivery, String outcome, Duration backoff, String error) {
    RedisKeys keys = shards.of(delivery.id());
    return Guard.timed(
            SETTLE.run(
                redis,
                List.of(keys.webhooks(), keys.undeliveredWebhooks(), keys.stats()),
                List.of(
                    delivery.member(),
                    outcome,
                    Long.toString(backoff.toMillis()),
                    error,
                    Integer.toString(UNDELIVERED_KEPT))),
            timeout,
            "settle a webhook delivery")
        .map(r -> r.toInteger() == 1);
  }

  /** Deliveries owed (due now, later, or being sent). */
  public Uni<Long> pending() {
    return shards
        .sendToEach(
            redis,
            keys -> Request.cmd(Command.ZCARD).arg(keys.webhooks()),
            timeout,
            "count webhook deliveries")
        .map(counts -> counts.stream().mapToLong(Response::toLong).sum());
  }

  /** The newest given-up deliveries, JSON each, at most {@code max}. */
  public Uni<List<String>> undelivered(int max) {
    return shards
        .sendToEach(
            redis,
            keys -> Request.cmd(Command.LRANGE).arg(keys.undeliveredWebhooks()).arg(0).arg(max - 1),
            timeout,
            "read undelivered webhooks")
        .map(
            lists -> {
              List<String> entries = new ArrayList<>();
              for (Response list : lists) {
                for (Response entry : list) {
                  entries.add(entry.toString());
                }
              }
              return entries.size() > max ? List.copyOf(entries.subList(0, max)) : entries;
            });
  }
}
