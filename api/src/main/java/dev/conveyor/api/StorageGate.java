package dev.conveyor.api;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.StorageUnavailableException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Once a Redis call has failed, requests are answered 503 at once until Redis answers a probe
 * again, instead of each waiting out REDIS_TIMEOUT. Where Redis stops refusing and starts being
 * silent (a stopped container's address is gone: connections neither open nor fail), every request
 * would otherwise hold a client for the whole timeout, and a balancer that retries would multiply
 * it. While down, a probe every {@link #PROBE_EVERY} (each bounded by REDIS_TIMEOUT) finds Redis
 * back; any call that succeeds meanwhile does too. The outage is logged once when it starts and
 * once when it ends. With several shards (QUEUE_SHARDS) each has a gate of its own: a shard's
 * master that is down, or failing over, costs only the requests for jobs on that shard.
 */
@ApplicationScoped
public class StorageGate {

  private static final Logger LOG = Logger.getLogger(StorageGate.class);

  /** The pause between two probes while Redis is down. */
  static final Duration PROBE_EVERY = Duration.ofMillis(200);

  private final JobQueue queue;
  private final Vertx vertx;
  private final AtomicBoolean[] down;

  public StorageGate(JobQueue queue, Vertx vertx) {
    this.queue = queue;
    this.vertx = vertx;
    this.down = new AtomicBoolean[queue.shards().count()];
    for (int i = 0; i < down.length; i++) {
      down[i] = new AtomicBoolean();
    }
  }

  /**
   * {@code call}'s result, a call for job {@code id}; while the Redis of the job's shard is known
   * down, a {@link StorageUnavailableException} at once (the call is not made). A storage failure
   * of the call closes the gate.
   */
  public <T> Uni<T> through(String id, Supplier<Uni<T>> call) {
    int shard = queue.shards().indexOf(id);
    if (down[shard].get()) {
      return Uni.createFrom()
          .failure(new StorageUnavailableException("Redis is down (answering at once)", null));
    }
    return call.get()
        .onItem()
        .invoke(() -> answered(shard))
        .onFailure(StorageUnavailableException.class)
        .invoke(cause -> failed(shard, cause));
  }

  /** True while the Redis of every shard is known down. */
  public boolean isDown() {
    for (AtomicBoolean shard : down) {
      if (!shard.get()) {
        return false;
      }
    }
    return true;
  }

  void failed(int shard, Throwable cause) {
    if (down[shard].compareAndSet(false, true)) {
      LOG.warnf(
          "Redis unavailable%s, answering 503 until it returns (REDIS_URL: is the redis service"
              + " up?): %s",
          down.length == 1 ? "" : " for shard " + shard, cause.getMessage());
      probeLater(shard);
    }
  }

  void answered(int shard) {
    if (down[shard].get() && down[shard].compareAndSet(true, false)) {
      LOG.infof(
          "Redis answers again%s: accepting work", down.length == 1 ? "" : " for shard " + shard);
    }
  }

  private void probeLater(int shard) {
    vertx.setTimer(
        PROBE_EVERY.toMillis(),
        tick ->
            queue
                .ping(shard)
                .subscribe()
                .with(
                    ok -> answered(shard),
                    failure -> {
                      if (down[shard].get()) {
                        probeLater(shard);
                      }
                    }));
  }
}
