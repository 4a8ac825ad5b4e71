package dev.conveyor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The wordcount example: its counts through a real worker, and its answer to an interrupt. */
@ExtendWith(RedisExtension.class)
class WordCountHandlerTest {

  @Test
  void countsLinesWordsAndCodePointsThroughAWorker(TestRedis redis) {
    try (HandlerHarness harness =
        HandlerHarness.start(redis.url(), redis.prefix(), new WordCountHandler())) {
      HandlerHarness.Outcome outcome = harness.run("one two\n  three\tfour\n\nlast 😀 line");
      assertEquals("worked", outcome.status());
      assertEquals(4, outcome.result().get("lines").asInt(), outcome.result().toString());
      assertEquals(7, outcome.result().get("words").asInt(), outcome.result().toString());
      assertEquals(33, outcome.result().get("chars").asInt(), "the emoji is one character");
    }
  }

  @Test
  void linesAreCountedAsTheyEndOrAsTheLastOneRunsOut() throws InterruptedException {
    assertEquals(new WordCountHandler.Result(0, 0, 0), WordCountHandler.count(""));
    assertEquals(new WordCountHandler.Result(1, 1, 5), WordCountHandler.count("hello"));
    assertEquals(new WordCountHandler.Result(1, 1, 6), WordCountHandler.count("hello\n"));
    assertEquals(new WordCountHandler.Result(2, 0, 2), WordCountHandler.count("\n\n"));
  }

  @Test
  void anInterruptedHandlerGivesUpInsteadOfCountingOn() throws InterruptedException {
    String big = "word ".repeat(WordCountHandler.CHECK_EVERY);
    assertEquals(WordCountHandler.CHECK_EVERY, WordCountHandler.count(big).words());
    Thread.currentThread().interrupt();
    try {
      InterruptedException stopped =
          assertThrows(InterruptedException.class, () -> WordCountHandler.count(big));
      assertTrue(stopped.getMessage().contains("after 0 characters"), stopped.getMessage());
    } finally {
      Thread.interrupted();
    }
    assertFalse(Thread.currentThread().isInterrupted());
  }
}
