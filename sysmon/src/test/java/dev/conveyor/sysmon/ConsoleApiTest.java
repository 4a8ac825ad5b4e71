package dev.conveyor.sysmon;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.CallbackId;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.core.Store;
import dev.conveyor.testkit.InjectRedis;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The JSON API and the terminal loop against a real Redis, with sysmon in a real cluster. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class ConsoleApiTest {

  @InjectRedis RedisServer server;
  @Inject Redis redis;
  @Inject Monitor monitor;

  private JobQueue queue() {
    return new Store(redis, new RedisKeys("conveyor"), Duration.ofSeconds(2)).queue();
  }

  /** A ledger entry of a node that is not there: what sysmon reads of a worker. */
  private void beat(String node, java.util.Map<String, String> fields) {
    new dev.conveyor.core.Ledger(redis, new RedisKeys("conveyor"), Duration.ofSeconds(2))
        .heartbeat(node, Duration.ofSeconds(10), fields)
        .await()
        .indefinitely();
  }

  @Test
  void theOverviewShowsRedisTheQueueSysmonItselfAndARecentJob() {
    String id = CallbackId.of("seen by sysmon");
    long acceptedBefore = monitor.refresh().queue().counters().getOrDefault("accepted", 0L);
    queue().submit(id, "seen by sysmon", "api@test").await().indefinitely();
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> monitor.latest().recent().stream().anyMatch(j -> j.id().equals(id)));
    given()
        .get("/api/overview")
        .then()
        .statusCode(200)
        .body("redis.up", equalTo(true))
        .body("redis.aof", equalTo(true))
        .body("queue.pending", equalTo(1))
        .body("queue.counters.accepted", equalTo((int) acceptedBefore + 1))
        .body("cluster.joined", equalTo(true))
        .body("cluster.view", hasItem("sysmon@test"))
        .body("nodes.name", hasItem("sysmon@test"))
        .body("actionsEnabled", equalTo(false));
    given().get("/api/jobs?status=pending").then().statusCode(200).body("id", hasItem(id));
    given().get("/q/openapi").then().statusCode(200);
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertTrue(metrics.contains("conveyor_queue_pending 1.0"), metrics);
    assertTrue(metrics.contains("conveyor_store_accepted " + (acceptedBefore + 1) + ".0"), metrics);
  }

  @Test
  void waitingJobsAreShownPerTypeAndPriorityAndATypeNoWorkerServesIsFlagged() {
    JobQueue queue = queue();
    String id = CallbackId.of("resize", "photo.png");
    queue
        .submit(
            new JobQueue.Work(
                id, "photo.png", new dev.conveyor.core.JobSpec("resize", "low", null, null)),
            "api@test")
        .await()
        .indefinitely();
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                monitor.latest().queue().types().stream().anyMatch(t -> t.type().equals("resize")));
    Report.TypeQueue resize =
        monitor.latest().queue().types().stream()
            .filter(t -> t.type().equals("resize"))
            .findFirst()
            .orElseThrow();
    assertTrue(resize.low() == 1 && resize.high() == 0 && resize.normal() == 0, resize.toString());
    assertTrue(resize.waiting().equals("waiting for a worker of type resize"), resize.toString());
    String screen = TerminalLoop.render(monitor.latest(), false);
    assertTrue(screen.contains("type resize"), screen);
    assertTrue(screen.contains("waiting for a worker of type resize"), screen);
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertTrue(
        metrics.contains("conveyor_queue_typed_pending{priority=\"low\",type=\"resize\"} 1.0"),
        metrics);
    // a worker that serves it takes the flag away
    beat("resizer@test", java.util.Map.of("role", "worker", "types", "resize"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                monitor.latest().queue().types().stream()
                    .anyMatch(t -> t.type().equals("resize") && t.waiting().isEmpty()));
    queue.claimOne("resize", "resizer@test", "lease").await().indefinitely();
  }

  @Test
  void refusalsAreJsonAndA405NamesTheMethodsThePathTakes() {
    given()
        .options("/api/overview")
        .then()
        .statusCode(405)
        .contentType("application/json")
        .header("Allow", "GET")
        .body("error", org.hamcrest.Matchers.containsString("method not allowed"));
    given()
        .delete("/api/overview")
        .then()
        .statusCode(405)
        .contentType("application/json")
        .header("Allow", "GET");
    given().get("/api/workers/w1/pause").then().statusCode(405).header("Allow", "POST");
    given().get("/api/jobs/ABC").then().statusCode(405).header("Allow", "DELETE");
    given()
        .post("/api/workers/w1/Esresume")
        .then()
        .statusCode(404)
        .contentType("application/json")
        .body("error", org.hamcrest.Matchers.containsString("no such resource"));
    given()
        .get("/api/jobs?status=bogus")
        .then()
        .statusCode(400)
        .contentType("application/json")
        .body(
            "error",
            equalTo("status must be one of pending, working, worked, failed, gone, got \"bogus\""));
  }

  @Test
  void theNodesAreListedByRoleThenNameWhateverTheirBeats() {
    beat("zeta@test", java.util.Map.of("role", "worker"));
    beat("alpha@test", java.util.Map.of("role", "worker"));
    beat("api-9@test", java.util.Map.of("role", "api"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> monitor.latest().nodes().size() >= 4);
    List<String> order =
        monitor.latest().nodes().stream().map(n -> n.role() + " " + n.name()).toList();
    assertTrue(order.equals(order.stream().sorted().toList()), order.toString());
  }

  @Test
  void aWorkerThatBeatsInTheLedgerButIsNotInTheViewIsFlagged() {
    // what a worker cut off from the cluster looks like: it still beats, nobody sees it in the view
    beat("cut-off@test", java.util.Map.of("role", "worker"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> monitor.latest().cluster().ledgerOnly().contains("cut-off@test"));
    assertTrue(
        TerminalLoop.render(monitor.latest(), false)
            .contains("in the ledger, not in the view: cut-off@test"));
  }

  @Test
  void withoutATokenEveryActionIsRefused() {
    given()
        .post("/api/jobs/ACBD18DB4CC2F85CEDEF654FCCC4A4D8/requeue")
        .then()
        .statusCode(403)
        .body("error", startsWith("actions are disabled"));
    given().delete("/api/jobs/ACBD18DB4CC2F85CEDEF654FCCC4A4D8").then().statusCode(403);
    given()
        .header("Authorization", "Bearer anything")
        .post("/api/workers/w1/drain")
        .then()
        .statusCode(403);
  }

  @Test
  void waitsStreamsCancelsAndWebhooksAreShownAndExported() {
    Store store = new Store(redis, new RedisKeys("conveyor"), Duration.ofSeconds(2));
    beat("api-a@test", java.util.Map.of("role", "api", "waiters", "3", "streams", "1"));
    beat("api-b@test", java.util.Map.of("role", "api", "waiters", "2", "streams", "0"));
    String cancelled = CallbackId.of("cancelled in sysmon");
    store.queue().submit(cancelled, "cancelled in sysmon", "api@test").await().indefinitely();
    store.queue().cancel(cancelled, Duration.ofSeconds(10)).await().indefinitely();
    String hooked = CallbackId.of("hooked in sysmon");
    store
        .queue()
        .submit(
            new JobQueue.Work(
                hooked,
                "hooked in sysmon",
                new dev.conveyor.core.JobSpec(null, null, null, null, "http://127.0.0.1:9/h")),
            "api@test")
        .await()
        .indefinitely();
    store.queue().cancel(hooked, Duration.ofSeconds(10)).await().indefinitely(); // final: owed
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> monitor.refresh().queue().results().webhooksOwed() == 1);
    Report.Results results = monitor.latest().queue().results();
    assertTrue(results.waiters() == 5 && results.streams() == 1, results.toString());
    assertTrue(results.cancelled() >= 2, results.toString());
    String screen = TerminalLoop.render(monitor.latest(), false);
    assertTrue(screen.contains("results: 5 waiting (GET ?wait=), 1 streams"), screen);
    assertTrue(screen.contains("webhooks: 1 owed"), screen);
    given().get("/api/overview").then().body("queue.results.webhooksOwed", equalTo(1));
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertTrue(metrics.contains("conveyor_webhooks_owed 1.0"), metrics);
    assertTrue(metrics.contains("conveyor_results_waiters 5.0"), metrics);
  }

  @Test
  void theTerminalLoopPrintsPlainTextWhenNotATerminal() {
    // sysmon joins the cluster beside its first looks: wait until a look has the view
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> TerminalLoop.render(monitor.refresh(), false).contains("cluster view: sysmon"));
    String text = TerminalLoop.render(monitor.refresh(), false);
    assertTrue(text.contains("redis: up"), text);
    assertTrue(text.contains("cluster view: sysmon@test"), text);
    assertTrue(text.contains("NODE"), text);
    assertFalse(text.contains("\033["), "no ANSI escapes when not a terminal");
  }

  @Test
  void whenRedisIsDownTheOverviewSaysSoAndRecovers() {
    server.stop();
    try {
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !monitor.latest().redis().up());
      given().get("/api/overview").then().statusCode(200).body("redis.up", equalTo(false));
      given().get("/q/health/ready").then().statusCode(503);
      assertTrue(TerminalLoop.render(monitor.latest(), false).contains("redis: DOWN"));
    } finally {
      server.restart();
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> monitor.latest().redis().up());
    given().get("/q/health/ready").then().statusCode(200);
  }
}
