package dev.conveyor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.RetryPolicy;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The guide's example: the checksum handler tested through {@link HandlerHarness}, the way a user
 * tests their own (docs/your-own-work.md, "Test it").
 */
@ExtendWith(RedisExtension.class)
class ChecksumHandlerTest {

  @Test
  void answersTheLowercaseHexSha256OfTheDatasUtf8Bytes(TestRedis redis) {
    try (HandlerHarness harness =
        HandlerHarness.start(redis.url(), redis.prefix(), new ChecksumHandler())) {
      HandlerHarness.Outcome outcome = harness.run("hello");
      assertEquals("worked", outcome.status());
      assertEquals(
          "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
          outcome.result().get("sha256").asText());
      assertEquals(1, outcome.attempts());
      assertNull(outcome.lastError());
      assertEquals(
          "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c",
          harness.run("é").result().get("sha256").asText(),
          "of the UTF-8 bytes");
    }
  }

  @Test
  void theHarnessShowsAThrowingHandlersRetriesAndItsLastError(TestRedis redis) {
    @JobType("flaky")
    final class AlwaysFails implements JobHandler {
      @Override
      public Object handle(dev.conveyor.core.ClaimedJob job) {
        throw new IllegalStateException("no luck on attempt " + job.attempt());
      }
    }
    RetryPolicy twice = new RetryPolicy(2, Duration.ofMillis(20), Duration.ofMinutes(1), 100, 3);
    try (HandlerHarness harness =
        HandlerHarness.start(
            redis.url(), redis.prefix(), new AlwaysFails(), twice, Duration.ZERO)) {
      HandlerHarness.Outcome outcome = harness.run("x");
      assertEquals("failed", outcome.status());
      assertEquals(2, outcome.attempts());
      assertTrue(outcome.lastError().contains("no luck on attempt 2"), outcome.lastError());
      assertEquals(2, harness.worker().failed(), "each failed attempt counts");
    }
  }
}
