package dev.conveyor.sysmon;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while sysmon's latest look reached Redis. */
@Readiness
@ApplicationScoped
public class SysmonReadiness implements HealthCheck {

  private final Monitor monitor;

  public SysmonReadiness(Monitor monitor) {
    this.monitor = monitor;
  }

  @Override
  public HealthCheckResponse call() {
    boolean up = monitor.latest().redis().up();
    return HealthCheckResponse.named("redis").status(up).build();
  }
}
