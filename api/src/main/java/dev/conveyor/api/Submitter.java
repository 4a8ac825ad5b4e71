package dev.conveyor.api;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.StorageUnavailableException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Group commit for submissions: a submission goes to Redis at once when fewer than {@code
 * maxInFlight} calls are in flight; otherwise it waits, and every submission that waited goes in
 * the next call (one {@code submit-8} for up to {@code maxBatch} jobs or {@code maxBatchChars} of
 * data). So an idle api adds no delay, and a busy one pays the per-call costs in Redis (the script
 * call, the queue and recent pushes, the stats update) and in the client once per batch, not per
 * job.
 *
 * <p>Each submission gets its own answer. When a call fails, every submission in it fails with the
 * call's {@link StorageUnavailableException}, as a call of its own would have; when more than
 * {@code maxWaiting} submissions wait, a new one fails at once instead of queueing in memory. The
 * queue's timeout bounds a submission's whole wait, not only its call: a call gets what is left of
 * the time of the oldest submission in it, and a submission whose time ran out while it waited
 * fails without being sent. So when Redis stops answering, no POST waits longer than REDIS_TIMEOUT
 * for its 503. Thread-safe.
 */
public final class Submitter {

  private final JobQueue queue;
  private final String acceptedBy;
  private final int maxInFlight;
  private final int maxBatch;
  private final long maxBatchChars;
  private final int maxWaiting;
  private final IntConsumer batchSizes;

  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private int inFlight; // guarded by this

  private record Waiting(
      JobQueue.Work work, UniEmitter<? super JobQueue.Submission> answer, long since) {}

  /**
   * A batch to send, the submissions whose time ran out while they waited, and the call's limit.
   */
  private record Next(List<Waiting> batch, List<Waiting> late, Duration limit) {}

  /**
   * @param acceptedBy the api's node name, recorded with each job
   * @param maxInFlight calls to Redis at the same time (at least 1)
   * @param maxBatch jobs in one call (at least 1)
   * @param maxBatchChars characters of data in one call; a single larger job goes alone
   * @param maxWaiting submissions that may wait for a call before new ones are refused
   * @param batchSizes told the number of jobs of each call as it is sent (a metric)
   */
  public Submitter(
      JobQueue queue,
      String acceptedBy,
      int maxInFlight,
      int maxBatch,
      long maxBatchChars,
      int maxWaiting,
      IntConsumer batchSizes) {
    if (maxInFlight < 1 || maxBatch < 1 || maxBatchChars < 1 || maxWaiting < 0) {
      throw new IllegalArgumentException("Submitter limits must be positive");
    }
    this.queue = queue;
    this.acceptedBy = acceptedBy;
    this.maxInFlight = maxInFlight;
    this.maxBatch = maxBatch;
    this.maxBatchChars = maxBatchChars;
    this.maxWaiting = maxWaiting;
    this.batchSizes = batchSizes;
  }

  /** Queues the job unless the same data is already pending, working or worked. */
  public Uni<JobQueue.Submission> submit(String id, String data) {
    return submit(new JobQueue.Work(id, data));
  }

  /** Queues the job unless the same type and data is already pending, working or worked. */
  public Uni<JobQueue.Submission> submit(JobQueue.Work work) {
    return Uni.createFrom().emitter(answer -> offer(new Waiting(work, answer, System.nanoTime())));
  }

  private void offer(Waiting submission) {
    Next next;
    synchronized (this) {
      if (inFlight >= maxInFlight) {
        if (waiting.size() >= maxWaiting) {
          next = null;
        } else {
          waiting.add(submission);
          return;
        }
      } else {
        inFlight++;
        waiting.add(submission);
        next = nextBatch();
      }
    }
    if (next == null) {
      submission
          .answer()
          .fail(
              new StorageUnavailableException(
                  "Redis is not keeping up: " + maxWaiting + " submissions wait already", null));
      return;
    }
    send(next);
  }

  /**
   * The oldest waiting submissions, within the batch limits; those whose time ran out are set apart
   * to fail. Holds the lock, and is called holding a call slot, which {@link #send(Next)} passes on
   * when the batch is empty.
   */
  private Next nextBatch() {
    long now = System.nanoTime();
    long budget = queue.timeout().toNanos();
    List<Waiting> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
    List<Waiting> late = List.of();
    long chars = 0;
    long oldest = now;
    while (!waiting.isEmpty() && batch.size() < maxBatch) {
      Waiting next = waiting.peek();
      if (now - next.since() >= budget) {
        if (late.isEmpty()) {
          late = new ArrayList<>();
        }
        late.add(waiting.poll());
        continue;
      }
      long size = next.work().data().length();
      if (!batch.isEmpty() && chars + size > maxBatchChars) {
        break;
      }
      batch.add(waiting.poll());
      chars += size;
      oldest = Math.min(oldest, next.since());
    }
    return new Next(batch, late, Duration.ofNanos(budget - (now - oldest)));
  }

  private void send(Next next) {
    if (!next.late().isEmpty()) {
      failAll(
          next.late(),
          new StorageUnavailableException(
              "Redis did not take a submit within " + queue.timeout().toMillis() + " ms", null));
    }
    if (next.batch().isEmpty()) {
      sendNext();
      return;
    }
    send(next.batch(), next.limit());
  }

  private void send(List<Waiting> batch, Duration limit) {
    List<JobQueue.Work> jobs = new ArrayList<>(batch.size());
    for (Waiting w : batch) {
      jobs.add(w.work());
    }
    batchSizes.accept(batch.size());
    Uni<List<JobQueue.Submission>> call;
    try {
      call = queue.submit(jobs, acceptedBy, limit);
    } catch (RuntimeException e) {
      call = Uni.createFrom().failure(e);
    }
    call.subscribe()
        .with(
            answers -> {
              sendNext();
              if (answers.size() != batch.size()) {
                failAll(
                    batch,
                    new IllegalStateException(
                        "submit answered " + answers.size() + " of " + batch.size() + " jobs"));
                return;
              }
              for (int i = 0; i < batch.size(); i++) {
                batch.get(i).answer().complete(answers.get(i));
              }
            },
            failure -> {
              sendNext();
              failAll(batch, failure);
            });
  }

  private static void failAll(List<Waiting> batch, Throwable failure) {
    for (Waiting w : batch) {
      w.answer().fail(failure);
    }
  }

  /** A call is done: the submissions that waited for it go now, in one call. */
  private void sendNext() {
    Next next;
    synchronized (this) {
      if (waiting.isEmpty()) {
        inFlight--;
        return;
      }
      next = nextBatch();
    }
    send(next);
  }
}
