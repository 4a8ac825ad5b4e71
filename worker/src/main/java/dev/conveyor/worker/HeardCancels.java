package dev.conveyor.worker;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The cancels a worker heard for jobs none of its handlers ran yet: a cancel published between
 * {@code claim-4} and the claim loop's taking the job in hand would otherwise find nothing to
 * interrupt, and the handler would run to its end for a result that is refused. Delivering a cancel
 * and taking a claimed job in hand exclude each other, so one of the two always sees the other. An
 * id is kept {@link #KEPT} (a claim answers within one REDIS_TIMEOUT).
 */
final class HeardCancels {

  static final Duration KEPT = Duration.ofMinutes(1);

  private final Map<String, Long> heard = new ConcurrentHashMap<>();

  /** A cancel of {@code id}: {@code deliver} interrupts a running handler; else it is kept. */
  synchronized void heard(String id, Predicate<String> deliver) {
    if (!deliver.test(id)) {
      long now = System.nanoTime();
      heard.values().removeIf(at -> now - at > KEPT.toNanos());
      heard.put(id, now);
    }
  }

  /** A claimed job taken in hand by {@code register}: true when its cancel was heard already. */
  synchronized boolean taken(String id, Runnable register) {
    register.run();
    return heard.remove(id) != null;
  }
}
