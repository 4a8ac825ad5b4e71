package dev.conveyor.api;

import dev.conveyor.core.JobQueue;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
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

  /** A PING like the gate's probe: its answer opens or closes the gate too (one truth). */
  @Override
  public Uni<HealthCheckResponse> call() {
    return queue
        .ping()
        .invoke(ok -> gate.answered())
        .onFailure()
        .invoke(gate::failed)
        .map(ok -> HealthCheckResponse.up("redis"))
        .onFailure()
        .recoverWithItem(
            f ->
                HealthCheckResponse.named("redis").down().withData("error", "unreachable").build());
  }
}
