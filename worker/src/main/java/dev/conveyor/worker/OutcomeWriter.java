package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.RetryPolicy;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The one way a job's outcome reaches Redis, whether it worked or failed: a handler hands its
 * outcome over and is told on this writer's thread what Redis made of it. One writer (a virtual
 * thread) sends whatever is waiting at once (group commit): the results in one {@code complete-4}
 * call, the failed attempts as {@code fail-7} calls sent together; outcomes that arrive meanwhile
 * go in the next round. So an idle worker records an outcome at once, and a busy one many per round
 * trip. Each round is repeated until Redis answers ({@link StorageWatch#untilAnswered}; both
 * scripts are safe to repeat). A job stays in the worker's processing list, and so recoverable,
 * until its outcome is recorded.
 */
final class OutcomeWriter {

  private static final Logger LOG = Logger.getLogger(OutcomeWriter.class);

  /** Most outcomes per round, so one script run stays short. */
  static final int MAX_BATCH = 256;

  /** What a handler's attempt came to. */
  sealed interface Outcome {}

  /** The handler returned: its result as JSON text. */
  record Worked(String resultJson) implements Outcome {}

  /** The handler threw or ran out of time: the error text stored with the attempt. */
  record Failed(String error) implements Outcome {}

  /** What Redis made of an outcome. */
  enum Recorded {
    /** the result is stored */
    WORKED,
    /** the failed attempt is stored; the job is retried after its backoff */
    RETRY_SCHEDULED,
    /** the failed attempt was the last: the job is failed, in the dead letters */
    FAILED,
    /** refused: the job was recovered and given to another claim */
    FENCED,
    /** refused: the job was cancelled while it ran (DELETE /api/v1/work/<id>) */
    CANCELLED,
    /** not written (a stop's deadline ran out): the job stays listed and is re-queued */
    GIVEN_UP
  }

  private record Waiting(ClaimedJob job, Outcome outcome, Consumer<Recorded> told) {}

  private final JobQueue queue;
  private final WorkerSettings settings;
  private final StorageWatch storage;
  private final LinkedBlockingQueue<Waiting> waiting = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean closing;

  OutcomeWriter(JobQueue queue, WorkerSettings settings, StorageWatch storage) {
    this.queue = queue;
    this.settings = settings;
    this.storage = storage;
    this.writer = Thread.ofVirtual().name("outcome-writer").unstarted(this::write);
  }

  void start() {
    writer.start();
  }

  /** Hands an outcome over; {@code told} learns, on the writer's thread, what became of it. */
  void record(ClaimedJob job, Outcome outcome, Consumer<Recorded> told) {
    waiting.add(new Waiting(job, outcome, told));
  }

  /** Writes what is still waiting, for at most until {@code deadline}, then gives up the rest. */
  void close(Instant deadline) {
    closing = true;
    long millis = Duration.between(Instant.now(), deadline).toMillis();
    try {
      if (millis > 0) {
        writer.join(millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    abandon();
  }

  /** Ends the writer at once, without writing what waits (also what a killed process does). */
  void abandon() {
    closing = true;
    writer.interrupt();
    List<Waiting> left = new ArrayList<>();
    waiting.drainTo(left);
    left.forEach(w -> w.told().accept(Recorded.GIVEN_UP));
  }

  private void write() {
    List<Waiting> round = new ArrayList<>(MAX_BATCH);
    while (!closing || !waiting.isEmpty()) {
      try {
        Waiting first = waiting.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        round.add(first);
      } catch (InterruptedException e) {
        return;
      }
      waiting.drainTo(round, MAX_BATCH - 1);
      List<Waiting> worked = new ArrayList<>(round.size());
      List<Waiting> failed = new ArrayList<>();
      round.forEach(w -> (w.outcome() instanceof Worked ? worked : failed).add(w));
      boolean written = writeUntilAnswered(worked, this::complete);
      if (written) {
        written = writeUntilAnswered(failed, this::fail);
      } else {
        failed.forEach(w -> w.told().accept(Recorded.GIVEN_UP));
      }
      round.clear();
      if (!written) {
        return; // interrupted: what was not written has been told GIVEN_UP
      }
    }
  }

  /**
   * Writes one kind of outcome until Redis answers, and tells each its answer. False when
   * interrupted first. A call that fails for another reason is logged and its outcomes given up.
   */
  private boolean writeUntilAnswered(
      List<Waiting> outcomes, Function<List<Waiting>, Uni<List<Recorded>>> call) {
    if (outcomes.isEmpty()) {
      return true;
    }
    List<Recorded> answers;
    try {
      answers = storage.untilAnswered(() -> call.apply(outcomes));
    } catch (RuntimeException e) {
      LOG.errorf(
          e,
          "%d outcome(s) could not be recorded; their jobs stay listed and are re-queued at stop",
          outcomes.size());
      outcomes.forEach(w -> w.told().accept(Recorded.GIVEN_UP));
      return true;
    }
    if (answers == null) {
      outcomes.forEach(w -> w.told().accept(Recorded.GIVEN_UP));
      return false;
    }
    for (int i = 0; i < outcomes.size(); i++) {
      outcomes.get(i).told().accept(answers.get(i));
    }
    return true;
  }

  private Uni<List<Recorded>> complete(List<Waiting> worked) {
    List<JobQueue.Completion> completions = new ArrayList<>(worked.size());
    worked.forEach(w -> completions.add(new JobQueue.Completion(w.job(), json(w.outcome()))));
    return queue
        .complete(completions, settings.node(), settings.resultTtl())
        .map(
            recorded -> {
              List<Recorded> answers = new ArrayList<>(recorded.size());
              recorded.forEach(
                  outcome ->
                      answers.add(
                          switch (outcome) {
                            case RECORDED -> Recorded.WORKED;
                            case FENCED -> Recorded.FENCED;
                            case CANCELLED -> Recorded.CANCELLED;
                          }));
              return answers;
            });
  }

  /** The failed attempts, sent together; each {@code fail-7} is safe to repeat. */
  private Uni<List<Recorded>> fail(List<Waiting> failed) {
    RetryPolicy policy = settings.retryPolicy();
    List<Uni<Recorded>> calls = new ArrayList<>(failed.size());
    for (Waiting w : failed) {
      String error = ((Failed) w.outcome()).error();
      calls.add(queue.fail(w.job(), settings.node(), error, policy).map(OutcomeWriter::recorded));
    }
    return Uni.join().all(calls).andFailFast();
  }

  private static String json(Outcome outcome) {
    return ((Worked) outcome).resultJson();
  }

  private static Recorded recorded(JobQueue.FailOutcome outcome) {
    return switch (outcome) {
      case FENCED -> Recorded.FENCED;
      case RETRY_SCHEDULED -> Recorded.RETRY_SCHEDULED;
      case FAILED -> Recorded.FAILED;
      case CANCELLED -> Recorded.CANCELLED;
    };
  }
}
