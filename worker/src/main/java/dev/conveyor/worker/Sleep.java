package dev.conveyor.worker;

import java.time.Duration;

/** The one way the worker's threads wait out a time: a stop's interrupt ends the wait. */
final class Sleep {

  private Sleep() {}

  /**
   * Sleeps for {@code duration}; false (with the interrupt flag set again) when the thread was
   * interrupted first, so a loop can end at once.
   */
  static boolean interruptibly(Duration duration) {
    try {
      Thread.sleep(duration);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
