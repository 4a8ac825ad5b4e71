package dev.conveyor.api;

import io.smallrye.mutiny.Uni;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The reads of one held job (a wait's, a stream's), one at a time: a change announced while a read
 * is under way makes one more read after it, never two reads at once whose answers could cross.
 * Each read's view goes to {@code seen}, a failure to {@code failed}; nothing is read once stopped.
 */
final class JobReads {

  private final Supplier<Uni<Optional<Map<String, Object>>>> read;
  private final Consumer<Optional<Map<String, Object>>> seen;
  private final Consumer<Throwable> failed;
  private boolean reading;
  private boolean again;
  private boolean stopped;

  JobReads(
      Supplier<Uni<Optional<Map<String, Object>>>> read,
      Consumer<Optional<Map<String, Object>>> seen,
      Consumer<Throwable> failed) {
    this.read = read;
    this.seen = seen;
    this.failed = failed;
  }

  /** Reads the job now, or once more after the read under way. */
  void request() {
    synchronized (this) {
      if (stopped) {
        return;
      }
      if (reading) {
        again = true;
        return;
      }
      reading = true;
    }
    read.get()
        .subscribe()
        .with(
            view -> {
              seen.accept(view);
              boolean more;
              synchronized (this) {
                reading = false;
                more = again && !stopped;
                again = false;
              }
              if (more) {
                request();
              }
            },
            e -> {
              synchronized (this) {
                reading = false;
              }
              failed.accept(e);
            });
  }

  /** No more reads (one under way still reports). */
  synchronized void stop() {
    stopped = true;
  }
}
