package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.StorageUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Records finished jobs' results in batches (group commit). A handler hands its result over and is
 * told on this writer's thread when Redis has it; one writer (a virtual thread) sends whatever is
 * waiting as one {@code complete-3} call, and the results that arrive during that call go in the
 * next one. So an idle worker records a result at once, and a busy one records many per round trip.
 * A result stays in the worker's processing list, and so recoverable, until its call returned.
 */
final class Completer {

  private static final Logger LOG = Logger.getLogger(Completer.class);

  /** Most results per call, so one script run stays short. */
  static final int MAX_BATCH = 256;

  private record Waiting(JobQueue.Completion completion, Consumer<Boolean> recorded) {}

  private final JobQueue queue;
  private final Worker.Settings settings;
  private final StorageWatch storage;
  private final LinkedBlockingQueue<Waiting> waiting = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean closing;

  Completer(JobQueue queue, Worker.Settings settings, StorageWatch storage) {
    this.queue = queue;
    this.settings = settings;
    this.storage = storage;
    this.writer = Thread.ofVirtual().name("completer").unstarted(this::write);
  }

  void start() {
    writer.start();
  }

  /**
   * Hands a result over to be recorded; {@code recorded} is told, on the writer's thread, true when
   * Redis took it, false when it was fenced (the job was recovered and given to another claim),
   * null when it was given up at a stop (the job stays listed and is re-queued).
   */
  void complete(ClaimedJob job, String resultJson, Consumer<Boolean> recorded) {
    waiting.add(new Waiting(new JobQueue.Completion(job, resultJson), recorded));
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

  /** Ends the writer at once, without writing what waits: a killed process, for tests. */
  void abandon() {
    closing = true;
    writer.interrupt();
    List<Waiting> left = new ArrayList<>();
    waiting.drainTo(left);
    left.forEach(w -> w.recorded().accept(null));
  }

  private void write() {
    List<Waiting> batch = new ArrayList<>(MAX_BATCH);
    while (!closing || !waiting.isEmpty()) {
      try {
        Waiting first = waiting.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
      } catch (InterruptedException e) {
        return;
      }
      waiting.drainTo(batch, MAX_BATCH - 1);
      if (!writeUntilStored(batch)) {
        batch.forEach(w -> w.recorded().accept(null));
        return;
      }
      batch.clear();
    }
  }

  private boolean writeUntilStored(List<Waiting> batch) {
    List<JobQueue.Completion> completions = new ArrayList<>(batch.size());
    batch.forEach(w -> completions.add(w.completion()));
    while (!Thread.currentThread().isInterrupted()) {
      try {
        List<Boolean> recorded =
            queue
                .complete(completions, settings.node(), settings.resultTtl())
                .await()
                .indefinitely();
        storage.answered();
        for (int i = 0; i < batch.size(); i++) {
          batch.get(i).recorded().accept(recorded.get(i));
        }
        return true;
      } catch (StorageUnavailableException e) {
        if (!Worker.pause(storage.failed(e))) {
          return false;
        }
      } catch (RuntimeException e) {
        if (e.getCause() instanceof InterruptedException) {
          return false;
        }
        LOG.errorf(
            e,
            "%d result(s) could not be recorded; their jobs stay listed and are re-queued at stop",
            batch.size());
        batch.forEach(w -> w.recorded().accept(null));
        return true;
      }
    }
    return false;
  }
}
