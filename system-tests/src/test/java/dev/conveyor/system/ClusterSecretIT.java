package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A worker joins the cluster beside its start. One with another CLUSTER_SECRET must still be
 * refused and exit 1, and the cluster must carry on without it.
 */
class ClusterSecretIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aWorkerWithAnotherSecretIsRefusedAndExitsOneWhileTheClusterCarriesOn() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()));
        Service good =
            Service.start(
                "worker",
                RedisServers.freePort(),
                Map.of("REDIS_URL", redis.url(), "NODE_NAME", "good@it", "WORK_DURATION", "0"))) {
      Awaitility.await("the first worker in its cluster")
          .atMost(Duration.ofSeconds(10))
          .until(() -> good.log().contains("joined cluster"));

      Service bad =
          Service.launch(
              "worker",
              RedisServers.freePort(),
              Map.of(
                  "REDIS_URL",
                  redis.url(),
                  "NODE_NAME",
                  "bad@it",
                  "WORK_DURATION",
                  "0",
                  "CLUSTER_SECRET",
                  "another secret"));
      try {
        assertEquals(1, bad.exitCode(Duration.ofSeconds(30)), bad.log());
        assertTrue(bad.log().contains("CLUSTER_SECRET"), bad.log());
      } finally {
        bad.close();
      }

      assertTrue(good.alive(), "the cluster's member is untouched");
      String id =
          JSON.readTree(api.post("/api/v1/work", "{\"data\":\"after a refused join\"}").body())
              .get("callback")
              .asText();
      Awaitility.await("a job posted afterwards is worked")
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  "worked"
                      .equals(
                          JSON.readTree(api.get("/api/v1/work/" + id).body())
                              .get("status")
                              .asText()));
      assertEquals(
          "good@it", JSON.readTree(api.get("/api/v1/work/" + id).body()).get("worked_by").asText());
    }
  }
}
