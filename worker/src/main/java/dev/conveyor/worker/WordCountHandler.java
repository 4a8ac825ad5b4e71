package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The third example type: {@code "type":"wordcount"} counts the data's lines, words and characters,
 * as {@code wc} would. It is the guide's example of a loop of pure computation that honours an
 * interrupt (a cancel, JOB_TIMEOUT, a stop past the grace): the data can be up to MAX_BODY_SIZE, so
 * it looks at its thread's interrupt flag every {@value #CHECK_EVERY} characters and gives up with
 * {@link InterruptedException} instead of running on after nobody wants its answer.
 */
@JobType("wordcount")
@ApplicationScoped
public class WordCountHandler implements JobHandler {

  /** How many characters it counts between two looks at its interrupt flag. */
  static final int CHECK_EVERY = 1 << 16;

  /**
   * What a wordcount job answers.
   *
   * @param lines the lines: each {@code \n} ends one, and text after the last one is one more
   * @param words the runs of characters that are not white space
   * @param chars the Unicode code points (an emoji is one, not two UTF-16 units)
   */
  public record Result(int lines, int words, int chars) {}

  @Override
  public Result handle(ClaimedJob job) throws InterruptedException {
    return count(job.data());
  }

  static Result count(String text) throws InterruptedException {
    int lines = 0;
    int words = 0;
    int chars = 0;
    boolean inWord = false;
    int nextCheck = 0;
    for (int i = 0; i < text.length(); ) {
      if (i >= nextCheck) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedException("wordcount interrupted after " + i + " characters");
        }
        nextCheck = i + CHECK_EVERY;
      }
      int codePoint = text.codePointAt(i);
      i += Character.charCount(codePoint);
      chars++;
      if (codePoint == '\n') {
        lines++;
      }
      boolean space = Character.isWhitespace(codePoint);
      if (!space && !inWord) {
        words++;
      }
      inWord = !space;
    }
    if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
      lines++; // the last line, not ended by a newline
    }
    return new Result(lines, words, chars);
  }
}
