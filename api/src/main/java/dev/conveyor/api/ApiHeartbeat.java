package dev.conveyor.api;

import dev.conveyor.core.Ledger;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps this API instance in the node ledger (role {@code api}) so the consoles see it: a beat
 * every HEARTBEAT_INTERVAL on a Vert.x timer, never blocking; an orderly leave at stop. A beat that
 * fails during an outage is simply late: the entry expires after three missed beats.
 */
@Singleton
public class ApiHeartbeat {

  private final Ledger ledger;
  private final Vertx vertx;
  private final String node;
  private final Duration interval;
  private final Map<String, String> entry;
  private final JobWatch watch;
  private long timer = -1;

  public ApiHeartbeat(
      Ledger ledger,
      Vertx vertx,
      @Named("nodeName") String node,
      ApiConfig config,
      JobWatch watch) {
    this.watch = watch;
    this.ledger = ledger;
    this.vertx = vertx;
    this.node = node;
    this.interval = config.heartbeatInterval();
    Map<String, String> fields = Ledger.identity("api", Instant.now());
    fields.put("state", "running");
    this.entry = Map.copyOf(fields);
  }

  void onStart(@Observes StartupEvent event) {
    beat();
    timer = vertx.setPeriodic(interval.toMillis(), id -> beat());
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    ledger.leave(node).subscribe().with(ok -> {}, failure -> {});
  }

  private void beat() {
    // the waits and streams held now: sysmon adds them up over the apis
    Map<String, String> fields = new HashMap<>(entry);
    fields.put("waiters", Integer.toString(watch.waits()));
    fields.put("streams", Integer.toString(watch.streams()));
    ledger.heartbeat(node, interval, fields).subscribe().with(ok -> {}, failure -> {});
  }
}
