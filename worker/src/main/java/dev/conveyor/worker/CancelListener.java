package dev.conveyor.worker;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobStatus;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.Subscription;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * How a worker hears that a job it runs was cancelled: {@code cancel-5} publishes the job's id on
 * the worker's own cancels channel, and this listener hands it to the claim loops, which interrupt
 * the handler. The API reaches the worker through Redis, where the job's owner is written, so no
 * API joins the JGroups cluster. Pub/sub is not durable: on every (re)subscription the listener
 * reads the status of each running job and cancels those cancelled meanwhile. A message missed
 * anyway costs only the handler's time: the job is cancelled in Redis already, and its outcome is
 * refused.
 */
final class CancelListener implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(CancelListener.class);

  private final JobQueue queue;
  private final Supplier<List<String>> runningIds;
  private final Consumer<String> cancel;
  private final Subscription subscription;

  /**
   * @param connections a client whose connections the subscription may hold (one)
   * @param runningIds the ids of the jobs whose handlers run now
   * @param cancel interrupts the handler of one job, if it runs
   */
  CancelListener(
      Vertx vertx,
      Redis connections,
      JobQueue queue,
      String node,
      Duration timeout,
      Supplier<List<String>> runningIds,
      Consumer<String> cancel) {
    this.queue = queue;
    this.runningIds = runningIds;
    this.cancel = cancel;
    RedisKeys keys = queue.keys();
    this.subscription =
        new Subscription(
            vertx, connections, keys.cancels(node), this::cancelled, this::recheck, timeout);
  }

  /** Subscribes (retrying in the background while Redis is away). */
  void start() {
    subscription.open().subscribe().with(ok -> {}, e -> {});
  }

  private void cancelled(String id) {
    LOG.infof("job %s cancelled: interrupting its handler", id);
    cancel.accept(id);
  }

  /** After a (re)subscription: a cancel published while nobody listened is found by reading. */
  private void recheck() {
    List<String> ids = new ArrayList<>(runningIds.get());
    if (ids.isEmpty()) {
      return;
    }
    queue
        .statuses(ids)
        .subscribe()
        .with(
            statuses -> {
              for (int i = 0; i < ids.size(); i++) {
                if (statuses.get(i).equals(Optional.of(JobStatus.CANCELLED))) {
                  cancelled(ids.get(i));
                }
              }
            },
            e -> LOG.debugf("re-reading running jobs after a resubscription: %s", e.getMessage()));
  }

  @Override
  public void close() {
    subscription.close();
  }
}
