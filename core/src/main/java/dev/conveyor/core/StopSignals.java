package dev.conveyor.core;

import org.jboss.logging.Logger;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into an orderly stop. Left to the JVM, a signal runs the shutdown hooks
 * and then exits 143 (or 130), which orchestrators count as a crash; routed here, the app stops the
 * same graceful way and exits 0.
 */
public final class StopSignals {

  private static final Logger LOG = Logger.getLogger(StopSignals.class);

  private StopSignals() {}

  /** Runs {@code stop} on SIGTERM or SIGINT instead of the JVM's default. */
  public static void onStop(Runnable stop) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(
            new Signal(name),
            signal -> {
              LOG.infof("SIG%s received: stopping gracefully", name);
              stop.run();
            });
      } catch (IllegalArgumentException e) {
        LOG.debugf(
            "SIG%s cannot be handled here (%s); the JVM default applies", name, e.getMessage());
      }
    }
  }
}
