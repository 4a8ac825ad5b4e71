package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Group commit for submissions: a submission goes to Redis at once when fewer than {@code
 * maxInFlight} calls are in flight; otherwise it waits, and every submission that waited goes in
 * the next call (one {@code submit-5} for up to {@code maxBatch} jobs or {@code maxBatchChars} of
 * data). So an idle api adds no delay, and a busy one pays the per-call costs in Redis (the script
 * call, the queue and recent pushes, the stats update) and in the client once per batch, not per
 * job.
 *
 * <p>Each submission gets its own answer. When a call fails, every submission in it fails with the
 * call's {@link StorageUnavailableException}, as a call of its own would have; when more than
 * {@code maxWaiting} submissions wait, a new one fails at once instead of queueing in memory.
 * Thread-safe.
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

  private record Waiting(JobQueue.Work work, UniEmitter<? super JobQueue.Submission> answer) {}

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
    JobQueue.Work work = new JobQueue.Work(id, data);
    return Uni.createFrom().emitter(answer -> offer(new Waiting(work, answer)));
  }

  private void offer(Waiting submission) {
    List<Waiting> batch;
    synchronized (this) {
      if (inFlight >= maxInFlight) {
        if (waiting.size() >= maxWaiting) {
          batch = null;
        } else {
          waiting.add(submission);
          return;
        }
      } else {
        inFlight++;
        waiting.add(submission);
        batch = nextBatch();
      }
    }
    if (batch == null) {
      submission
          .answer()
          .fail(
              new StorageUnavailableException(
                  "Redis is not keeping up: " + maxWaiting + " submissions wait already", null));
      return;
    }
    send(batch);
  }

  /** The oldest waiting submissions, within the batch limits. Holds the lock. */
  private List<Waiting> nextBatch() {
    List<Waiting> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
    long chars = 0;
    while (!waiting.isEmpty() && batch.size() < maxBatch) {
      long size = waiting.peek().work().data().length();
      if (!batch.isEmpty() && chars + size > maxBatchChars) {
        break;
      }
      batch.add(waiting.poll());
      chars += size;
    }
    return batch;
  }

  private void send(List<Waiting> batch) {
    List<JobQueue.Work> jobs = new ArrayList<>(batch.size());
    for (Waiting w : batch) {
      jobs.add(w.work());
    }
    batchSizes.accept(batch.size());
    Uni<List<JobQueue.Submission>> call;
    try {
      call = queue.submit(jobs, acceptedBy);
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
    List<Waiting> batch;
    synchronized (this) {
      if (waiting.isEmpty()) {
        inFlight--;
        return;
      }
      batch = nextBatch();
    }
    send(batch);
  }
}
