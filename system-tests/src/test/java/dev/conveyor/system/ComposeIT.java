package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisServers;
import java.io.File;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;

/**
 * docker-compose.yml end to end, where a Docker engine runs: built from the Dockerfile, two apis
 * and two workers behind HAProxy; jobs go through the balancer to both apis and are worked; sysmon
 * sees the workers. Without a Docker engine (these build machines) it reports that it did not run:
 * CI lints the compose file (dclint) and local mode runs the same topology as processes.
 */
class ComposeIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theComposeFileRunsTheWholeSystem() throws Exception {
    Assumptions.assumeTrue(
        DockerClientFactory.instance().isDockerAvailable(),
        "no Docker engine on this machine: docker-compose.yml was not run (CI lints it with"
            + " dclint; local mode runs the same topology)");
    int lbPort = RedisServers.freePort();
    try (ComposeContainer compose =
        new ComposeContainer(new File("../docker-compose.yml"))
            .withBuild(true)
            .withEnv("LB_PORT", Integer.toString(lbPort))
            .withEnv("WORK_DURATION", "200ms")
            .withScaledService("api", 2)
            .withScaledService("worker", 2)) {
      compose.start();
      Endpoint lb = Endpoint.at(lbPort);
      Awaitility.await("the balancer answers")
          .atMost(Duration.ofMinutes(3))
          .ignoreExceptions()
          .until(() -> lb.get("/lb/health").statusCode() == 200);
      Set<String> apis = new HashSet<>();
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < 10; i++) {
        JsonNode accepted =
            JSON.readTree(lb.post("/api/v1/work", "{\"data\":\"compose " + i + "\"}").body());
        apis.add(accepted.get("accepted_by").asText());
        ids.add(accepted.get("callback").asText());
      }
      assertEquals(2, apis.size(), "both apis behind the balancer: " + apis);
      Awaitility.await("every job worked")
          .atMost(Duration.ofMinutes(1))
          .until(
              () -> {
                for (String id : ids) {
                  if (!lb.get("/api/v1/work/" + id).body().contains("\"worked\"")) {
                    return false;
                  }
                }
                return true;
              });
      JsonNode overview = JSON.readTree(Endpoint.at(5984).get("/api/overview").body());
      long workers = 0;
      for (JsonNode node : overview.get("nodes")) {
        if (node.get("role").asText().equals("worker")) {
          workers++;
        }
      }
      assertTrue(workers >= 2, "sysmon sees the workers: " + overview.get("nodes"));
    }
  }
}
