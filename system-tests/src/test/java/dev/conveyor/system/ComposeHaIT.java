package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisServers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.ha.yml on top of docker-compose.yml, in a real Docker engine: Redis with two
 * replicas and three sentinels, every service following the sentinels' master with
 * REDIS_WAIT_REPLICAS=1. {@code docker compose stop redis} (the primary) under a client loop: the
 * API answers 503 until a replica is promoted, then 200 again, and every job answered 200 is
 * worked. The engine comes as for {@link ComposeIT}.
 */
class ComposeHaIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROJECT = "conveyor-ha-it";

  private static Compose compose;
  private static Endpoint lb;

  @BeforeAll
  static void up() {
    int lbPort = RedisServers.freePort();
    String files =
        System.getenv("COMPOSE_FILE") != null
            ? System.getenv("COMPOSE_FILE")
            : Path.of("..", "docker-compose.yml").toAbsolutePath().normalize().toString();
    compose =
        Compose.up(
            PROJECT,
            Map.of(
                "COMPOSE_FILE",
                files + ":" + Path.of("..", "docker-compose.ha.yml").toAbsolutePath().normalize(),
                "LB_PORT",
                Integer.toString(lbPort),
                "LB_STATS_PORT",
                Integer.toString(RedisServers.freePort()),
                "SYSMON_PORT",
                Integer.toString(RedisServers.freePort()),
                "WORK_DURATION",
                "200ms",
                "RESULT_TTL",
                "10m"),
            "api=2",
            "worker=2");
    lb = Endpoint.at(lbPort);
  }

  @AfterAll
  static void down() {
    if (compose != null) {
      compose.down();
    }
  }

  @Test
  void stoppingTheRedisPrimaryCostsA503WindowAndNoAcknowledgedJob() throws Exception {
    List<String> acknowledged = new ArrayList<>();
    Map<Integer, Integer> statuses = new TreeMap<>();
    HttpResponse<String> first = lb.post("/api/v1/work", "{\"data\":\"ha before\"}");
    assertEquals(200, first.statusCode(), first.body());
    acknowledged.add(JSON.readTree(first.body()).get("callback").asText());

    Instant stopped = Instant.now();
    compose.compose(60, "stop", "redis");
    Instant firstOk = null;
    int n = 0;
    Instant until = Instant.now().plusSeconds(30);
    while (Instant.now().isBefore(until) && (firstOk == null || n < 40)) {
      HttpResponse<String> r = lb.post("/api/v1/work", "{\"data\":\"ha " + n++ + "\"}");
      statuses.merge(r.statusCode(), 1, Integer::sum);
      assertTrue(r.statusCode() == 200 || r.statusCode() == 503, r.statusCode() + " " + r.body());
      if (r.statusCode() == 200) {
        acknowledged.add(JSON.readTree(r.body()).get("callback").asText());
        if (firstOk == null) {
          firstOk = Instant.now();
        }
      }
      Thread.sleep(50);
    }
    assertTrue(firstOk != null, "no 200 within 30 s of stopping the primary: " + statuses);
    long recoveryMs = Duration.between(stopped, firstOk).toMillis();
    for (String id : acknowledged) {
      JsonNode worked = lb.awaitStatus(id, "worked");
      assertEquals("worked", worked.path("status").asText(), worked.toString());
    }
    System.out.printf(
        "compose ha: redis (the primary) stopped; answers %s; first 200 after %d ms; %d"
            + " acknowledged jobs, all worked%n",
        statuses, recoveryMs, acknowledged.size());
    assertTrue(recoveryMs < 20_000, "a replica took over after " + recoveryMs + " ms");
  }
}
