package dev.conveyor.api;

import dev.conveyor.core.JobStatus;
import dev.conveyor.core.Subscription;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * This API instance's watch on jobs that clients wait for or stream: one subscription to the events
 * channel, on which the scripts announce which jobs entered which state, fans each message out to
 * the holds on those jobs. A hold costs no Redis connection and no polling: the holder reads the
 * job when told it changed. The subscription is made with the first hold and closed a minute after
 * the last one ends, so an instance nobody waits on receives nothing. Holds are counted against
 * MAX_WAITERS; past it, a new one is refused with 503. When the instance begins to stop, every hold
 * is released ({@link #releaseAll}): a wait answers the job as it is then and a stream ends, so its
 * client asks again through another instance instead of being cut off.
 */
public final class JobWatch implements AutoCloseable {

  /** How long the subscription stays after the last hold ends (holds often come in runs). */
  static final Duration IDLE_CLOSE = Duration.ofMinutes(1);

  private final Vertx vertx;
  private final io.vertx.mutiny.redis.client.Redis client;
  private final Subscription subscription;
  private final int maxHolds;
  private final Map<String, Set<Hold>> holds = new ConcurrentHashMap<>();
  private final AtomicInteger waits = new AtomicInteger();
  private final AtomicInteger streams = new AtomicInteger();
  private final AtomicInteger held = new AtomicInteger();
  private long idleTimer = -1;
  private volatile boolean stopping;

  /** What a hold is for; both count against MAX_WAITERS. */
  public enum Kind {
    WAIT,
    STREAM
  }

  /**
   * One client's hold on one job. {@code changed} is told the status a message announced, or empty
   * after a (re)subscription, when anything may have changed unseen; it runs on the subscription's
   * event loop, and should read the job rather than trust the message alone.
   */
  public final class Hold implements AutoCloseable {
    private final String id;
    private final Kind kind;
    private final Consumer<Optional<JobStatus>> changed;
    private final Runnable released;
    private boolean closed;

    private Hold(String id, Kind kind, Consumer<Optional<JobStatus>> changed, Runnable released) {
      this.id = id;
      this.kind = kind;
      this.changed = changed;
      this.released = released;
    }

    /** Ends the hold (idempotent). */
    @Override
    public void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
      }
      holds.computeIfPresent(
          id,
          (key, set) -> {
            set.remove(this);
            return set.isEmpty() ? null : set;
          });
      (kind == Kind.WAIT ? waits : streams).decrementAndGet();
      if (held.decrementAndGet() == 0) {
        idleLater();
      }
    }
  }

  /**
   * @param subscriptions a client for the subscription's connection (nothing else should use it)
   * @param maxHolds MAX_WAITERS
   */
  JobWatch(
      Vertx vertx,
      io.vertx.mutiny.redis.client.Redis subscriptions,
      String channel,
      Duration timeout,
      int maxHolds,
      MeterRegistry metrics) {
    this.vertx = vertx;
    this.client = subscriptions;
    this.maxHolds = maxHolds;
    this.subscription =
        new Subscription(
            vertx, subscriptions, channel, this::announced, this::resubscribed, timeout);
    Gauge.builder("conveyor.waiters", waits, AtomicInteger::get)
        .description("GET ?wait= requests this api holds")
        .register(metrics);
    Gauge.builder("conveyor.streams", streams, AtomicInteger::get)
        .description("open event streams (GET /api/v1/work/<id>/events) of this api")
        .register(metrics);
  }

  /**
   * Holds job {@code id} for a client: answers once the subscription is up, so every change after
   * that reaches {@code changed} (the holder reads the job then, and misses nothing). {@code
   * released} runs if the instance stops first: the holder answers now. Fails with {@link
   * TooManyWaitersException} past MAX_WAITERS, with {@link StoppingException} once the instance is
   * stopping, and with the storage's exception when Redis cannot be reached; the hold is released
   * then.
   */
  public Uni<Hold> hold(
      String id, Kind kind, Consumer<Optional<JobStatus>> changed, Runnable released) {
    if (stopping) {
      return Uni.createFrom().failure(new StoppingException());
    }
    if (held.incrementAndGet() > maxHolds) {
      held.decrementAndGet();
      return Uni.createFrom().failure(new TooManyWaitersException(maxHolds));
    }
    (kind == Kind.WAIT ? waits : streams).incrementAndGet();
    cancelIdle();
    Hold hold = new Hold(id, kind, changed, released);
    holds.computeIfAbsent(id, key -> ConcurrentHashMap.newKeySet()).add(hold);
    return subscription.open().replaceWith(hold).onFailure().invoke(hold::close);
  }

  public int waits() {
    return waits.get();
  }

  public int streams() {
    return streams.get();
  }

  /** A message: '<status> <id> <id> …'. */
  private void announced(String message) {
    int space = message.indexOf(' ');
    if (space < 0 || holds.isEmpty()) {
      return;
    }
    Optional<JobStatus> status;
    try {
      status = Optional.of(JobStatus.fromWire(message.substring(0, space)));
    } catch (IllegalArgumentException e) {
      status = Optional.empty(); // a newer status this api does not know: read and see
    }
    int from = space + 1;
    while (from < message.length()) {
      int end = message.indexOf(' ', from);
      if (end < 0) {
        end = message.length();
      }
      Set<Hold> watching = holds.get(message.substring(from, end));
      if (watching != null) {
        for (Hold hold : watching) {
          hold.changed.accept(status);
        }
      }
      from = end + 1;
    }
  }

  /** A hold refused because this instance is stopping: the caller answers at once. */
  public static final class StoppingException extends RuntimeException {
    StoppingException() {
      super("this api is stopping", null, false, false);
    }
  }

  /**
   * The instance begins to stop: no new hold is taken, and every hold is released (its holder
   * answers now); the subscription stays until {@link #close}.
   */
  public void releaseAll() {
    stopping = true;
    holds.values().forEach(set -> set.forEach(hold -> hold.released.run()));
  }

  /** Takes holds again after {@link #releaseAll}: only for tests, which share one instance. */
  void resumeForTests() {
    stopping = false;
  }

  private void resubscribed() {
    holds.values().forEach(set -> set.forEach(hold -> hold.changed.accept(Optional.empty())));
  }

  private synchronized void idleLater() {
    cancelIdle();
    idleTimer =
        vertx.setTimer(
            IDLE_CLOSE.toMillis(),
            t -> {
              synchronized (this) {
                idleTimer = -1;
                if (held.get() == 0) {
                  subscription.close();
                }
              }
            });
  }

  private synchronized void cancelIdle() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
  }

  @Override
  public void close() {
    cancelIdle();
    subscription.close();
    client.close();
  }
}
