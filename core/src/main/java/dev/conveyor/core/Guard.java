package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.jboss.logging.Logger;

/**
 * Bounds a Redis call in time and names its failure: whatever goes wrong (refused, reset, no answer
 * within the limit) becomes a {@link StorageUnavailableException}, so no caller hangs.
 *
 * <p>The limits are kept by one watchdog thread per process that looks at the calls in flight every
 * {@link #TICK} (so a call fails at most one tick after its limit). A call costs one set insertion
 * and removal, where a scheduled timer per call (Mutiny's {@code ifNoItem().after()}) took a lock,
 * a timer-queue insertion and often a wakeup of the scheduler's thread. A call that runs out of
 * time fails on the watchdog's thread: what follows a failure must not block, or it delays the
 * other calls' limits.
 */
final class Guard {

  private static final Logger LOG = Logger.getLogger(Guard.class);

  /** How often the watchdog looks for calls past their limit. */
  static final Duration TICK = Duration.ofMillis(10);

  private static final Set<Pending> PENDING = ConcurrentHashMap.newKeySet();

  private static volatile Thread watchdog;

  private Guard() {}

  /** A call in flight: when it must have answered, and how it fails if it has not. */
  private record Pending(long deadline, Runnable expire) {}

  static <T> Uni<T> timed(Uni<T> call, Duration limit, String what) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              AtomicReference<Cancellable> upstream = new AtomicReference<>();
              Pending pending =
                  new Pending(
                      System.nanoTime() + limit.toNanos(),
                      () -> {
                        // give the call up first, so whoever sees the failure sees it given up
                        cancel(upstream);
                        emitter.fail(
                            new StorageUnavailableException(
                                "Redis did not answer "
                                    + what
                                    + " within "
                                    + limit.toMillis()
                                    + " ms",
                                null));
                      });
              PENDING.add(pending);
              startWatchdog();
              upstream.set(
                  call.subscribe()
                      .with(
                          item -> {
                            PENDING.remove(pending);
                            emitter.complete(item);
                          },
                          failure -> {
                            PENDING.remove(pending);
                            emitter.fail(
                                failure instanceof StorageUnavailableException
                                    ? failure
                                    : new StorageUnavailableException(
                                        "Redis failed " + what + ": " + failure.getMessage(),
                                        failure));
                          }));
              // the caller gave up (or the call ended): stop watching it, and give it up too
              emitter.onTermination(
                  () -> {
                    PENDING.remove(pending);
                    cancel(upstream);
                  });
            });
  }

  private static void cancel(AtomicReference<Cancellable> upstream) {
    Cancellable subscription = upstream.get();
    if (subscription != null) {
      subscription.cancel();
    }
  }

  /** How many calls are in flight under a limit (for tests: none may be left behind). */
  static int inFlight() {
    return PENDING.size();
  }

  private static void startWatchdog() {
    if (watchdog == null) {
      synchronized (Guard.class) {
        if (watchdog == null) {
          watchdog = Thread.ofPlatform().name("redis-deadlines").daemon().start(Guard::watch);
        }
      }
    }
  }

  private static void watch() {
    while (true) {
      LockSupport.parkNanos(TICK.toNanos());
      long now = System.nanoTime();
      for (Pending pending : PENDING) {
        if (now - pending.deadline() >= 0 && PENDING.remove(pending)) {
          try {
            pending.expire().run();
          } catch (RuntimeException e) {
            LOG.warn("a timed-out Redis call's failure handler threw; the watchdog goes on", e);
          }
        }
      }
    }
  }
}
