package dev.conveyor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.ClaimedJob;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * JOB_TIMEOUT's watchdog: a running attempt holds one timer, a finished one none (a cancelled timer
 * left queued until its delay elapsed would pile up one per job under a long JOB_TIMEOUT).
 */
class JobRunnerTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aFinishedAttemptLeavesNoTimerBehindAndARunningOneHoldsOne() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    JobRunner runner =
        new JobRunner(
            job -> {
              if (job.data().equals("hold")) {
                running.countDown();
                release.await();
              }
              return job.data().length();
            },
            JSON,
            Duration.ofHours(1));
    try {
      for (int i = 0; i < 20_000; i++) {
        OutcomeWriter.Outcome outcome = runner.run(new ClaimedJob("J" + i, "data " + i, 1, "l"));
        assertInstanceOf(OutcomeWriter.Worked.class, outcome);
      }
      assertEquals(0, runner.pendingTimers(), "20,000 attempts done under a 1 h JOB_TIMEOUT");

      AtomicReference<OutcomeWriter.Outcome> held = new AtomicReference<>();
      Thread attempt =
          Thread.ofVirtual().start(() -> held.set(runner.run(new ClaimedJob("H", "hold", 1, "l"))));
      assertTrue(running.await(10, TimeUnit.SECONDS));
      assertEquals(1, runner.pendingTimers(), "the running attempt's timer");
      release.countDown();
      attempt.join(10_000);
      assertInstanceOf(OutcomeWriter.Worked.class, held.get());
      assertEquals(0, runner.pendingTimers());
    } finally {
      runner.close();
    }
  }

  @Test
  void anAttemptOverJobTimeoutIsInterruptedAndFailsAsTimedOut() {
    JobRunner runner =
        new JobRunner(
            job -> {
              new CountDownLatch(1).await(); // blocks until interrupted
              return "late";
            },
            JSON,
            Duration.ofMillis(100));
    try {
      long started = System.nanoTime();
      OutcomeWriter.Outcome outcome = runner.run(new ClaimedJob("S", "slow", 1, "l"));
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      OutcomeWriter.Failed failed = assertInstanceOf(OutcomeWriter.Failed.class, outcome);
      assertTrue(failed.error().contains("JOB_TIMEOUT (100 ms)"), failed.error());
      assertTrue(tookMs < 10_000, "interrupted after " + tookMs + " ms");
      assertEquals(0, runner.pendingTimers());
    } finally {
      runner.close();
    }
  }
}
