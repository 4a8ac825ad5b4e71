package dev.conveyor.api;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Shards;
import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * The api's submissions, a {@link Submitter} (group commit) per shard of the queue: a job goes to
 * the lane of its shard, so each batch is one script call on one Redis, and a shard that is slow or
 * down (its master failing over) holds up only its own lane. One lane unless QUEUE_SHARDS is above
 * 1.
 */
public final class SubmitLanes {

  private final Shards shards;
  private final List<Submitter> lanes;

  /**
   * @param lanes one per shard, in shard order
   */
  public SubmitLanes(Shards shards, List<Submitter> lanes) {
    if (lanes.size() != shards.count()) {
      throw new IllegalArgumentException(
          lanes.size() + " submit lanes for " + shards.count() + " shards");
    }
    this.shards = shards;
    this.lanes = List.copyOf(lanes);
  }

  /** Queues the job unless the same type and data is already pending, working or worked. */
  public Uni<JobQueue.Submission> submit(JobQueue.Work work) {
    return lanes.get(shards.indexOf(work.id())).submit(work);
  }
}
