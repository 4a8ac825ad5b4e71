package dev.conveyor.api;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * What the load balancer asks ({@code /q/health/group/balancer}): UP until this api begins to stop.
 * Not Redis: during a Redis outage every api stays in rotation and answers for itself — a 503 with
 * {@code Retry-After} at once ({@link StorageGate}) for work it cannot store, and a 400 for a bad
 * request, which needs no Redis — instead of the balancer refusing everything with a 503 of its
 * own. Readiness ({@code /q/health/ready}, with Redis in it) stays what Kubernetes and operators
 * read. The stop still takes the api out first: DOWN when SHUTDOWN_DELAY begins.
 */
@HealthGroup("balancer")
@ApplicationScoped
public class BalancerHealth implements HealthCheck {

  private volatile boolean stopping;

  void stopping(@Observes ShutdownDelayInitiatedEvent event) {
    stopping = true;
  }

  @Override
  public HealthCheckResponse call() {
    return stopping
        ? HealthCheckResponse.named("serving").down().withData("reason", "stopping").build()
        : HealthCheckResponse.up("serving");
  }
}
