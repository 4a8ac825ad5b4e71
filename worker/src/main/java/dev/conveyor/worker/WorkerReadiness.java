package dev.conveyor.worker;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while the worker runs and its Redis answers; it shows the counts an operator asks for. */
@Readiness
public class WorkerReadiness implements HealthCheck {

  private final WorkerLifecycle lifecycle;

  public WorkerReadiness(WorkerLifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  @Override
  public HealthCheckResponse call() {
    Worker worker = lifecycle.worker();
    return HealthCheckResponse.named("worker")
        .status(worker.running() && !worker.storageDown())
        .withData("node", worker.node())
        .withData("in_flight", worker.inFlight())
        .withData("processed", worker.processed())
        .withData("failed", worker.failed())
        .build();
  }
}
