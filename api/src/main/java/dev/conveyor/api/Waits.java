package dev.conveyor.api;

import dev.conveyor.core.JobStatus;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code GET /api/v1/work/<id>?wait=30s}: answers once the job is final (worked, failed, cancelled)
 * or gone, or when the wait runs out, with the view a plain GET gives then. A job final at the
 * first read is answered at once, with no hold. Otherwise a hold on {@link JobWatch} is taken, and
 * the job is read again once the subscription is up: a job that finished between the first read and
 * the subscription is seen by that read, one that finishes later by its message. Reads are made one
 * at a time per wait ({@link JobReads}).
 */
final class Waits {

  private final JobWatch watch;
  private final Vertx vertx;
  private final Function<String, Uni<Optional<Map<String, Object>>>> read;

  /**
   * @param read a job's view as GET answers it (empty: unknown)
   */
  Waits(JobWatch watch, Vertx vertx, Function<String, Uni<Optional<Map<String, Object>>>> read) {
    this.watch = watch;
    this.vertx = vertx;
    this.read = read;
  }

  static boolean isFinal(Optional<Map<String, Object>> view) {
    return view.isEmpty() || JobStatus.fromWire((String) view.get().get("status")).isFinal();
  }

  /** The job's view once it is final or gone, or after {@code wait}, whichever comes first. */
  Uni<Optional<Map<String, Object>>> until(String id, Duration wait) {
    return read.apply(id)
        .flatMap(view -> isFinal(view) ? Uni.createFrom().item(view) : hold(id, wait));
  }

  private Uni<Optional<Map<String, Object>>> hold(String id, Duration wait) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              One one = new One(id, emitter::complete, emitter::fail);
              emitter.onTermination(one::end);
              watch
                  .hold(id, JobWatch.Kind.WAIT, one::changed, one::timeUp)
                  .subscribe()
                  .with(
                      hold -> {
                        if (one.held(hold, wait)) {
                          one.check();
                        }
                      },
                      e -> {
                        if (e instanceof JobWatch.StoppingException) {
                          one.timeUp(); // this api is stopping: the job as it is now
                        } else {
                          emitter.fail(e);
                        }
                      });
            });
  }

  /** One wait's state: its hold, its timer, its reads. */
  private final class One {
    private final String id;
    private final Consumer<Optional<Map<String, Object>>> answer;
    private final Consumer<Throwable> failure;
    private final JobReads reads;
    private JobWatch.Hold hold;
    private long timer = -1;
    private boolean ended;

    One(String id, Consumer<Optional<Map<String, Object>>> answer, Consumer<Throwable> failure) {
      this.id = id;
      this.answer = answer;
      this.failure = failure;
      this.reads =
          new JobReads(
              () -> read.apply(id),
              view -> {
                if (isFinal(view)) {
                  answer.accept(view);
                }
              },
              failure);
    }

    /**
     * The hold is taken: the wait's time starts; false when the request ended meanwhile (the hold
     * is released then).
     */
    synchronized boolean held(JobWatch.Hold taken, Duration wait) {
      if (ended) {
        taken.close();
        return false;
      }
      hold = taken;
      timer = vertx.setTimer(Math.max(1, wait.toMillis()), t -> timeUp());
      return true;
    }

    void changed(Optional<JobStatus> status) {
      if (status.isEmpty() || status.get().isFinal()) {
        check();
      }
    }

    void check() {
      reads.request();
    }

    void timeUp() {
      read.apply(id).subscribe().with(answer::accept, failure::accept);
    }

    synchronized void end() {
      ended = true;
      reads.stop();
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      if (hold != null) {
        hold.close();
      }
    }
  }
}
