package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * A subscription to one Redis pub/sub channel, on a connection of its own, kept up while it is
 * wanted: a lost connection is opened again every {@link #RETRY} until it is back. Pub/sub delivers
 * only to who listens at the time, so whoever relies on it re-reads what it tracks each time the
 * subscription is (re)made ({@code onSubscribed}): nothing published while it was down goes unseen.
 * Messages and (re)subscriptions are handed on on the connection's event loop.
 */
public final class Subscription {

  private static final Logger LOG = Logger.getLogger(Subscription.class);

  /** How long after a lost connection the next try is made. */
  static final Duration RETRY = Duration.ofMillis(250);

  private final Vertx vertx;
  private final Redis client;
  private final String channel;
  private final Consumer<String> onMessage;
  private final Runnable onSubscribed;
  private final Duration timeout;
  private RedisConnection connection;
  private Uni<Void> opening;
  private boolean wanted;
  private volatile boolean subscribed;

  /**
   * @param client a client whose connections this subscription may hold (one at a time)
   * @param onMessage each message's payload
   * @param onSubscribed after each (re)subscription: re-read what the messages would have told
   * @param timeout longest wait for the connection and the SUBSCRIBE's answer
   */
  public Subscription(
      Vertx vertx,
      Redis client,
      String channel,
      Consumer<String> onMessage,
      Runnable onSubscribed,
      Duration timeout) {
    this.vertx = vertx;
    this.client = client;
    this.channel = channel;
    this.onMessage = onMessage;
    this.onSubscribed = onSubscribed;
    this.timeout = timeout;
  }

  /** True while messages on the channel reach this subscription. */
  public boolean subscribed() {
    return subscribed;
  }

  /**
   * Subscribes unless subscribed already; answers once the SUBSCRIBE is confirmed (messages
   * published after that are delivered), or fails with {@link StorageUnavailableException} when
   * Redis cannot be reached: retries go on in the background until {@link #close}.
   */
  public synchronized Uni<Void> open() {
    wanted = true;
    if (subscribed) {
      return Uni.createFrom().voidItem();
    }
    if (opening == null) {
      opening = connect().memoize().indefinitely();
    }
    return opening;
  }

  private Uni<Void> connect() {
    return Guard.timed(
            client
                .connect()
                .flatMap(
                    c -> {
                      c.handler(this::received);
                      c.exceptionHandler(e -> lost(c, e.getMessage()));
                      c.endHandler(() -> lost(c, "connection closed"));
                      return c.send(Request.cmd(Command.SUBSCRIBE).arg(channel))
                          .replaceWith(c)
                          .onFailure()
                          .call(e -> c.close());
                    }),
            timeout,
            "subscribe to " + channel)
        .invoke(this::established)
        .onFailure()
        .invoke(
            e -> {
              synchronized (this) {
                opening = null;
              }
              retryLater();
            })
        .replaceWithVoid();
  }

  private void established(RedisConnection c) {
    synchronized (this) {
      if (!wanted) {
        c.close().subscribe().with(ok -> {}, e -> {});
        opening = null;
        return;
      }
      connection = c;
      subscribed = true;
      opening = null;
    }
    onSubscribed.run();
  }

  private void received(Response message) {
    // RESP2 and RESP3 alike: [message, channel, payload]; the subscribe confirmation is not one
    if (message.size() == 3 && "message".equals(message.get(0).toString())) {
      onMessage.accept(message.get(2).toString());
    }
  }

  private void lost(RedisConnection c, String why) {
    synchronized (this) {
      if (connection != c) {
        return;
      }
      connection = null;
      subscribed = false;
      if (!wanted) {
        return;
      }
    }
    LOG.warnf("subscription to %s lost (%s); subscribing again", channel, why);
    c.close().subscribe().with(ok -> {}, e -> {});
    retryLater();
  }

  private void retryLater() {
    vertx.setTimer(
        RETRY.toMillis(),
        id -> {
          synchronized (this) {
            if (!wanted || subscribed) {
              return;
            }
          }
          open().subscribe().with(ok -> {}, e -> {});
        });
  }

  /** Unsubscribes and gives the connection back; {@link #open} subscribes again. */
  public void close() {
    RedisConnection closing;
    synchronized (this) {
      wanted = false;
      subscribed = false;
      closing = connection;
      connection = null;
    }
    if (closing != null) {
      closing.close().subscribe().with(ok -> {}, e -> {});
    }
  }
}
