package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The time limit every Redis call runs under, on its own: calls that answer, fail, never answer or
 * are given up by their caller. (Against a real Redis it is exercised by {@code SubmitterTest},
 * {@code StorageOutageTest} and {@code RedisOutageIT}.)
 */
class GuardTest {

  private static final Duration LIMIT = Duration.ofMillis(200);

  /** Calls of other tests in this JVM may still be in flight: counts are relative to this. */
  private final int before = Guard.inFlight();

  @Test
  void anAnswerWithinTheLimitPassesThroughAndLeavesNothingWatched() {
    assertEquals(
        "ok", Guard.timed(Uni.createFrom().item("ok"), LIMIT, "read").await().indefinitely());
    CompletableFuture<String> later = new CompletableFuture<>();
    Cancellable pending =
        Guard.timed(Uni.createFrom().completionStage(later), LIMIT, "read")
            .subscribe()
            .with(item -> {}, failure -> {});
    later.complete("late but in time");
    pending.cancel();
    assertTrue(Guard.inFlight() <= before, "nothing left watched");
  }

  @Test
  void aCallWithNoAnswerFailsSoonAfterItsLimitAndIsCancelled() {
    AtomicBoolean cancelled = new AtomicBoolean();
    Uni<String> silent = neverAnswering(cancelled);
    long started = System.nanoTime();
    StorageUnavailableException e =
        assertThrows(
            StorageUnavailableException.class,
            () -> Guard.timed(silent, LIMIT, "claim").await().atMost(Duration.ofSeconds(5)));
    long took = (System.nanoTime() - started) / 1_000_000;
    assertTrue(took >= 200 && took < 700, "failed after " + took + " ms");
    assertEquals("Redis did not answer claim within 200 ms", e.getMessage());
    assertTrue(cancelled.get(), "the call is given up");
    assertTrue(Guard.inFlight() <= before, "nothing left watched");
  }

  @Test
  void aFailureIsNamedAsStorageUnavailableOnce() {
    IllegalStateException reset = new IllegalStateException("connection reset");
    StorageUnavailableException e =
        assertThrows(
            StorageUnavailableException.class,
            () ->
                Guard.timed(Uni.createFrom().failure(reset), LIMIT, "complete")
                    .await()
                    .indefinitely());
    assertEquals("Redis failed complete: connection reset", e.getMessage());
    assertSame(reset, e.getCause());

    StorageUnavailableException named = new StorageUnavailableException("already named", null);
    Throwable again =
        assertThrows(
            StorageUnavailableException.class,
            () -> Guard.timed(Uni.createFrom().failure(named), LIMIT, "x").await().indefinitely());
    assertSame(named, again);
    assertTrue(Guard.inFlight() <= before, "nothing left watched");
  }

  @Test
  void aCallerThatGivesUpCancelsTheCallAndStopsWatchingIt() {
    AtomicBoolean cancelled = new AtomicBoolean();
    Uni<String> silent = neverAnswering(cancelled);
    Cancellable subscription =
        Guard.timed(silent, Duration.ofMinutes(1), "read").subscribe().with(item -> {}, f -> {});
    assertTrue(Guard.inFlight() >= 1, "watched while in flight");
    subscription.cancel();
    assertTrue(cancelled.get());
    assertTrue(Guard.inFlight() <= before, "nothing left watched");
  }

  /** A call that never answers, and records whether it was cancelled. */
  private static Uni<String> neverAnswering(AtomicBoolean cancelled) {
    return Uni.createFrom().<String>nothing().onCancellation().invoke(() -> cancelled.set(true));
  }
}
