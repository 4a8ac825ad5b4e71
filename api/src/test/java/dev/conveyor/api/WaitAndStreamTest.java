package dev.conveyor.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobSpec;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET ?wait= and GET …/events against a real Redis: held answers, streamed states. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class WaitAndStreamTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject Redis redis;
  @Inject JobQueue queue;
  @Inject JobWatch watch;
  @Inject io.vertx.mutiny.core.Vertx vertx;

  @TestHTTPResource("/api/v1/work/")
  URI work;

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void privateRedisStartsEmpty() {
    RedisCalls.call(redis, Command.FLUSHDB);
  }

  private static String post(String data) {
    return given()
        .body("{\"data\":\"" + data + "\"}")
        .post("/api/v1/work")
        .then()
        .statusCode(200)
        .extract()
        .path("callback");
  }

  private ClaimedJob claim() {
    return queue
        .claimOne(JobSpec.DEFAULT_TYPE, "w1", "lease-" + System.nanoTime())
        .await()
        .indefinitely()
        .orElseThrow();
  }

  private CompletableFuture<HttpResponse<String>> getAsync(String path) {
    return http.sendAsync(
        HttpRequest.newBuilder(work.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aWaitIsAnsweredWhenTheJobIsWorked() throws Exception {
    String id = post("wait for me");
    var answer = getAsync(id + "?wait=20s");
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> watch.waits() == 1);
    ClaimedJob job = claim();
    queue.complete(job, "w1", "{\"n\":7}", Duration.ofSeconds(10)).await().indefinitely();
    HttpResponse<String> got = answer.get(5, TimeUnit.SECONDS);
    assertEquals(200, got.statusCode());
    JsonNode view = JSON.readTree(got.body());
    assertEquals("worked", view.get("status").asText());
    assertEquals(7, view.get("result").get("n").asInt());
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> watch.waits() == 0);
  }

  @Test
  void aWaitThatRunsOutAnswersTheJobAsItIsThen() throws Exception {
    String id = post("never worked");
    long start = System.nanoTime();
    HttpResponse<String> got = getAsync(id + "?wait=300ms").get(10, TimeUnit.SECONDS);
    long heldMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(200, got.statusCode());
    assertEquals("pending", JSON.readTree(got.body()).get("status").asText());
    assertTrue(heldMs >= 300, "held " + heldMs + " ms");
    assertEquals(0, watch.waits());
  }

  @Test
  void aFinishedOrUnknownJobIsAnsweredAtOnceAndABadWaitIsRefused() {
    String id = post("cancelled soon");
    String token =
        given().body("{\"data\":\"cancelled soon\"}").post("/api/v1/work").path("cancel_token");
    given().header("Authorization", "Bearer " + token).delete("/api/v1/work/" + id);
    // a wait of a minute on a final job answers at once (Awaitility bounds it)
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> given().get("/api/v1/work/" + id + "?wait=60s").path("status"),
            equalTo("cancelled"));
    given()
        .get("/api/v1/work/00000000000000000000000000000000?wait=60s")
        .then()
        .statusCode(404)
        .body("status", equalTo("404. not found!"));
    for (String bad : List.of("soon", "-1s", "10", "1.5s", "", "9999999999999999999999s")) {
      given()
          .get("/api/v1/work/" + id + "?wait=" + bad)
          .then()
          .statusCode(400)
          .contentType(ContentType.JSON)
          .body("error", containsString("wait must be"))
          .body("error", containsString(bad.isEmpty() ? "got" : bad));
    }
  }

  @Test
  void aJobFinishedBetweenTheFirstReadAndTheSubscriptionIsNotMissed() {
    // the first read sees it pending; it finishes before the hold is taken (its message reaches no
    // hold of it): the read made once the hold is up must see it worked
    String id = post("racing the subscription");
    ClaimedJob job = claim();
    WorkService work = io.quarkus.arc.Arc.container().instance(WorkService.class).get();
    int[] reads = {0};
    Waits waits =
        new Waits(
            watch,
            vertx,
            jobId ->
                work.status(jobId)
                    .call(
                        view -> {
                          if (reads[0]++ > 0) {
                            return io.smallrye.mutiny.Uni.createFrom().item(view);
                          }
                          return queue.complete(job, "w1", "{}", Duration.ofSeconds(10));
                        }));
    var view = waits.until(id, Duration.ofSeconds(30)).await().atMost(Duration.ofSeconds(5));
    assertEquals("worked", view.orElseThrow().get("status"));
  }

  @Test
  void pastMaxWaitersAWaitIsRefusedWith503() throws Exception {
    String id = post("crowded");
    List<JobWatch.Hold> holds = new ArrayList<>();
    try {
      int free = 10_000 - watch.waits() - watch.streams();
      for (int i = 0; i < free; i++) {
        holds.add(
            watch
                .hold(id, JobWatch.Kind.WAIT, status -> {}, () -> {})
                .await()
                .atMost(Duration.ofSeconds(5)));
      }
      given()
          .get("/api/v1/work/" + id + "?wait=5s")
          .then()
          .statusCode(503)
          .header("Retry-After", "1")
          .body("error", containsString("MAX_WAITERS"));
      given().get("/api/v1/work/" + id).then().statusCode(200); // a plain GET still answers
    } finally {
      holds.forEach(JobWatch.Hold::close);
    }
  }

  @Test
  void aThousandWaitersAreAnsweredWhenTheirJobsFinish() throws Exception {
    List<String> ids = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      ids.add(post("many " + i));
    }
    // opened 100 at a time: a thousand new connections at once on the test's one event loop would
    // hold some first reads past REDIS_TIMEOUT (answered 503, as an overloaded api should)
    for (int i = 0; i < 1_000; i++) {
      answers.add(getAsync(ids.get(i % ids.size()) + "?wait=30s"));
      if (i % 100 == 99) {
        int opened = i + 1;
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> watch.waits() == opened);
      }
    }
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> watch.waits() == 1_000);
    for (int i = 0; i < ids.size(); i++) {
      queue.complete(claim(), "w1", "{}", Duration.ofSeconds(30)).await().indefinitely();
    }
    for (var answer : answers) {
      HttpResponse<String> got = answer.get(10, TimeUnit.SECONDS);
      assertEquals("worked", JSON.readTree(got.body()).get("status").asText());
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> watch.waits() == 0);
  }

  @Test
  void theStreamTellsEachStateUntilAFinalOneAndEnds() throws Exception {
    String id = post("streamed");
    var stream =
        http.sendAsync(
            HttpRequest.newBuilder(work.resolve(id + "/events")).build(),
            HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> response = stream.get(5, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode());
    assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElse(""));
    List<String> events = new ArrayList<>();
    CompletableFuture<Void> read =
        CompletableFuture.runAsync(
            () -> response.body().filter(l -> l.startsWith("event: ")).forEach(events::add));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 1);
    ClaimedJob job = claim();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 2);
    queue.fail(job, "w1", "boom", dev.conveyor.core.RetryPolicy.DEFAULT).await().indefinitely();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 3);
    java.util.concurrent.atomic.AtomicReference<ClaimedJob> again =
        new java.util.concurrent.atomic.AtomicReference<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              queue.promoteDue(10).await().indefinitely(); // the retry's backoff is over
              queue
                  .claimOne(JobSpec.DEFAULT_TYPE, "w1", "again")
                  .await()
                  .indefinitely()
                  .ifPresent(again::set);
              return again.get() != null;
            });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 4);
    queue.complete(again.get(), "w1", "{}", Duration.ofSeconds(10)).await().indefinitely();
    read.get(5, TimeUnit.SECONDS); // the stream ended after the final state
    assertEquals(
        List.of(
            "event: pending",
            "event: working",
            "event: pending",
            "event: working",
            "event: worked"),
        events);
  }

  @Test
  void theStreamOfAFinishedJobIsItsFinalStateAndOfAnUnknownOneA404() throws Exception {
    String id = post("done before");
    queue.complete(claim(), "w1", "{}", Duration.ofSeconds(10)).await().indefinitely();
    HttpResponse<String> done =
        http.send(
            HttpRequest.newBuilder(work.resolve(id + "/events")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, done.statusCode());
    assertTrue(done.body().startsWith("event: worked\ndata: {\"status\":\"worked\""), done.body());
    HttpResponse<String> unknown =
        http.send(
            HttpRequest.newBuilder(work.resolve("00000000000000000000000000000000/events")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, unknown.statusCode());
    assertEquals("{\"status\":\"404. not found!\"}", unknown.body());
  }

  @Test
  void whenItsApiStopsAStreamEndsAndAReconnectStartsWithTheCurrentState() throws Exception {
    String id = post("streamed across a restart");
    HttpResponse<Stream<String>> response =
        http.send(
            HttpRequest.newBuilder(work.resolve(id + "/events")).build(),
            HttpResponse.BodyHandlers.ofLines());
    List<String> events = new ArrayList<>();
    CompletableFuture<Void> read =
        CompletableFuture.runAsync(
            () -> response.body().filter(l -> l.startsWith("event: ")).forEach(events::add));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 1);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> watch.streams() == 1);
    claim(); // working, while the stream is open
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 2);
    try {
      watch.releaseAll(); // what a SIGTERM's shutdown delay does first
      read.get(5, TimeUnit.SECONDS); // the stream ended
      assertEquals(List.of("event: pending", "event: working"), events);
      // meanwhile this api answers a new stream with the state as it is, and ends it
      HttpResponse<String> again =
          http.send(
              HttpRequest.newBuilder(work.resolve(id + "/events")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertTrue(again.body().startsWith("event: working\n"), again.body());
      // and a wait answers at once with the job as it is
      assertEquals(
          "working",
          JSON.readTree(getAsync(id + "?wait=30s").get(5, TimeUnit.SECONDS).body())
              .get("status")
              .asText());
    } finally {
      watch.resumeForTests();
    }
  }
}
