package dev.conveyor.sysmon;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conveyor.core.CallbackId;
import dev.conveyor.core.ClusterDirectory;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobSpec;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.RetryPolicy;
import dev.conveyor.core.Store;
import dev.conveyor.core.cluster.ClusterMember;
import dev.conveyor.core.cluster.ClusterSettings;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** With SYSMON_TOKEN set: actions work for callers that present it, and only for them. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@TestProfile(TokenActionsTest.WithToken.class)
class TokenActionsTest {

  /** Sysmon started with a token. */
  public static class WithToken implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("conveyor.token", "s3cr3t-token");
    }
  }

  @Inject Redis redis;
  @Inject Monitor monitor;

  private JobQueue queue() {
    return new Store(redis, new RedisKeys("conveyor"), Duration.ofSeconds(2)).queue();
  }

  /**
   * A job failed for good: submitted, claimed, failed with one attempt allowed. Whatever else the
   * queue held before it is failed the same way.
   */
  private String failedJob(String data) {
    JobQueue queue = queue();
    String id = CallbackId.of(data);
    queue.submit(id, data, "api@test").await().indefinitely();
    RetryPolicy once = new RetryPolicy(1, Duration.ZERO, Duration.ofMinutes(5), 100, 3);
    String taken;
    do {
      var job =
          queue
              .claimOne(JobSpec.DEFAULT_TYPE, "w@test", "lease")
              .await()
              .indefinitely()
              .orElseThrow();
      taken = job.id();
      queue.fail(job, "w@test", "boom", once).await().indefinitely();
    } while (!taken.equals(id));
    return id;
  }

  @Test
  void aFailedJobIsRequeuedOrDeletedOnlyWithTheToken() {
    String id = failedJob("to requeue");
    given().post("/api/jobs/" + id + "/requeue").then().statusCode(401);
    given()
        .header("Authorization", "Bearer wrong")
        .post("/api/jobs/" + id + "/requeue")
        .then()
        .statusCode(401);
    given()
        .header("Authorization", "Bearer s3cr3t-token")
        .post("/api/jobs/" + id + "/requeue")
        .then()
        .statusCode(200)
        .body("status", equalTo("pending"));
    assertEquals("pending", queue().find(id).await().indefinitely().orElseThrow().status().wire());
    given()
        .header("Authorization", "Bearer s3cr3t-token")
        .post("/api/jobs/" + id + "/requeue")
        .then()
        .statusCode(409);

    String doomed = failedJob("to delete");
    assertEquals(
        "failed", queue().find(doomed).await().indefinitely().orElseThrow().status().wire());
    String basic =
        Base64.getEncoder().encodeToString("admin:s3cr3t-token".getBytes(StandardCharsets.UTF_8));
    given()
        .header("Authorization", "Basic " + basic)
        .delete("/api/jobs/" + doomed)
        .then()
        .statusCode(200);
    assertEquals(Optional.empty(), queue().find(doomed).await().indefinitely());
  }

  @Test
  void aWorkerIsPausedOverTheClusterWithTheToken() throws Exception {
    AtomicReference<String> state = new AtomicReference<>("running");
    try (ClusterMember worker =
        new ClusterMember(
            new ClusterSettings(
                "conveyor",
                "127.0.0.1",
                0,
                Optional.empty(),
                0,
                Optional.of("sysmon test secret"),
                Duration.ofSeconds(1)),
            new ClusterDirectory(redis, new RedisKeys("conveyor"), Duration.ofSeconds(2)),
            "w1@test",
            request -> {
              if ("pause".equals(request)) {
                state.set("paused");
              }
              return Map.of("state", state.get());
            })) {
      worker.join();
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> monitor.cluster().members().contains("w1@test"));
      // a member of the view that keeps no ledger entry is flagged
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> monitor.latest().cluster().viewOnly().contains("w1@test"));
      given().post("/api/workers/w1@test/pause").then().statusCode(401);
      given()
          .header("Authorization", "Bearer s3cr3t-token")
          .post("/api/workers/w1@test/pause")
          .then()
          .statusCode(200)
          .body("state", equalTo("paused"));
      assertEquals("paused", state.get());
      given()
          .header("Authorization", "Bearer s3cr3t-token")
          .post("/api/workers/nobody/pause")
          .then()
          .statusCode(404);
    }
  }
}
