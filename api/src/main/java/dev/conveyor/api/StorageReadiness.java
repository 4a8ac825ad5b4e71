package dev.conveyor.api;

import dev.conveyor.core.JobQueue;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while Redis answers, so HAProxy routes around an instance that cannot accept work. */
@Readiness
@ApplicationScoped
public class StorageReadiness implements AsyncHealthCheck {

  private final JobQueue queue;
  private final StorageGate gate;

  public StorageReadiness(JobQueue queue, StorageGate gate) {
    this.queue = queue;
    this.gate = gate;
  }

  /**
   * A probe of each shard like the gate's: each answer opens or closes that shard's gate too (one
   * truth). Ready while any shard answers: the shards are the same for every api, so an api that
   * went unready for one shard's outage would take every api out with it.
   */
  @Override
  public Uni<HealthCheckResponse> call() {
    int shards = queue.shards().count();
    List<Uni<Boolean>> probes = new ArrayList<>(shards);
    for (int s = 0; s < shards; s++) {
      int shard = s;
      probes.add(
          queue
              .ping(shard)
              .invoke(ok -> gate.answered(shard))
              .map(ok -> true)
              .onFailure()
              .invoke(f -> gate.failed(shard, f))
              .onFailure()
              .recoverWithItem(false));
    }
    return Uni.combine()
        .all()
        .unis(probes)
        .with(up -> up.contains(Boolean.TRUE))
        .map(
            up ->
                up
                    ? HealthCheckResponse.up("redis")
                    : HealthCheckResponse.named("redis")
                        .down()
                        .withData("error", "unreachable")
                        .build());
  }
}
