package dev.conveyor.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.conveyor.core.ClaimedJob;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.JobSpec;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** DELETE /api/v1/work/<id> with the job's cancel token, against a real Redis. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class CancelTest {

  @Inject Redis redis;
  @Inject JobQueue queue;

  private String call(Command command, String... args) {
    return RedisCalls.call(redis, command, args);
  }

  @BeforeEach
  void privateRedisStartsEmpty() {
    call(Command.FLUSHDB);
  }

  private record Posted(String callback, String token) {}

  private static Posted post(String data) {
    var answer =
        given()
            .body("{\"data\":\"" + data + "\"}")
            .post("/api/v1/work")
            .then()
            .statusCode(200)
            .body("cancel_token", matchesPattern("[0-9a-f]{32}"))
            .extract()
            .jsonPath();
    return new Posted(answer.getString("callback"), answer.getString("cancel_token"));
  }

  private static io.restassured.response.ValidatableResponse delete(Posted job) {
    return given()
        .header("Authorization", "Bearer " + job.token())
        .delete("/api/v1/work/" + job.callback())
        .then();
  }

  @Test
  void aPendingJobIsCancelledAtOnceAndStaysReadableAsCancelled() {
    Posted job = post("cancel me");
    delete(job)
        .statusCode(202)
        .contentType(ContentType.JSON)
        .body("status", equalTo("cancelled"))
        .body("callback", equalTo(job.callback()))
        .body("cancelled_at", matchesPattern("\\d{4}-.*Z"));
    assertEquals("0", call(Command.LLEN, queue.keys().queue()), "left the queue");
    given().get("/api/v1/work/" + job.callback()).then().body("status", equalTo("cancelled"));
    delete(job).statusCode(200).body("status", equalTo("cancelled")); // again: already so
    long ttl = Long.parseLong(call(Command.PTTL, queue.keys().job(job.callback())));
    assertEquals(true, ttl > 0 && ttl <= 10_000, "readable for RESULT_TTL: " + ttl);
  }

  @Test
  void aDelayedJobIsCancelledBeforeItIsDue() {
    var answer =
        given()
            .body("{\"data\":\"later\",\"delay\":\"1h\"}")
            .post("/api/v1/work")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    Posted job = new Posted(answer.getString("callback"), answer.getString("cancel_token"));
    delete(job).statusCode(202).body("status", equalTo("cancelled"));
    assertEquals("0", call(Command.ZCARD, queue.keys().delayed()));
  }

  @Test
  void aWorkingJobIsCancelledAndItsLateResultRefused() {
    Posted job = post("running");
    ClaimedJob claimed =
        queue.claimOne(JobSpec.DEFAULT_TYPE, "w1", "lease").await().indefinitely().orElseThrow();
    delete(job).statusCode(202).body("status", equalTo("cancelled"));
    assertEquals(
        false,
        queue.complete(claimed, "w1", "{}", Duration.ofSeconds(10)).await().indefinitely(),
        "the result is refused");
    given().get("/api/v1/work/" + job.callback()).then().body("status", equalTo("cancelled"));
  }

  @Test
  void aFinishedJobIsAConflictAndStaysAsItIs() {
    Posted job = post("done already");
    ClaimedJob claimed =
        queue.claimOne(JobSpec.DEFAULT_TYPE, "w1", "lease").await().indefinitely().orElseThrow();
    queue.complete(claimed, "w1", "{\"n\":1}", Duration.ofSeconds(10)).await().indefinitely();
    delete(job)
        .statusCode(409)
        .contentType(ContentType.JSON)
        .body("error", containsString("already worked"))
        .body("status", equalTo("worked"))
        .body("result.n", equalTo(1));
  }

  @Test
  void aCancelRacingACompletionHasOneWinnerAndGetAgrees() throws Exception {
    for (int i = 0; i < 20; i++) {
      Posted job = post("race " + i);
      ClaimedJob claimed =
          queue.claimOne(JobSpec.DEFAULT_TYPE, "w1", "l" + i).await().indefinitely().orElseThrow();
      var completing =
          queue.complete(claimed, "w1", "{}", Duration.ofSeconds(10)).subscribeAsCompletionStage();
      int status = delete(job).extract().statusCode();
      boolean recorded = completing.get();
      String shown = given().get("/api/v1/work/" + job.callback()).then().extract().path("status");
      if (recorded) {
        assertEquals(409, status, "the completion won: the cancel is refused");
        assertEquals("worked", shown);
      } else {
        assertEquals(202, status, "the cancel won: the result is refused");
        assertEquals("cancelled", shown);
      }
    }
  }

  @Test
  void cancellingNeedsThisJobsTokenAndChangesNothingWithout() {
    Posted job = post("guarded");
    Posted other = post("another");
    given()
        .delete("/api/v1/work/" + job.callback())
        .then()
        .statusCode(401)
        .header("WWW-Authenticate", containsString("Bearer"))
        .body("error", containsString("cancel token"));
    given()
        .header("Authorization", "Basic " + job.token())
        .delete("/api/v1/work/" + job.callback())
        .then()
        .statusCode(401);
    given()
        .header("Authorization", "Bearer " + other.token())
        .delete("/api/v1/work/" + job.callback())
        .then()
        .statusCode(403)
        .contentType(ContentType.JSON)
        .body("error", containsString("not this job's"));
    assertNotEquals(job.token(), other.token());
    given().get("/api/v1/work/" + job.callback()).then().body("status", equalTo("pending"));
  }

  @Test
  void anUnknownJobIsNotFound() {
    Posted job = post("known");
    call(Command.DEL, queue.keys().job(job.callback()));
    delete(job).statusCode(404).contentType(ContentType.JSON);
    given()
        .header("Authorization", "Bearer " + job.token())
        .delete("/api/v1/work/not-an-id")
        .then()
        .statusCode(404)
        .contentType(ContentType.JSON);
  }

  @Test
  void theSameDataPostedAgainHasTheSameTokenOnEveryApi() {
    // the token is the callback's HMAC under the shared secret: nothing stored per job
    assertEquals(post("same").token(), post("same").token());
  }

  @Test
  void theOpenApiDocumentNamesTheWaitTheStreamAndEveryCancelAnswer() {
    var doc = given().get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath();
    var get = doc.getList("paths.'/api/v1/work/{id}'.get.parameters.name", String.class);
    org.junit.jupiter.api.Assertions.assertTrue(get.contains("wait"), get.toString());
    var delete = doc.getMap("paths.'/api/v1/work/{id}'.delete.responses");
    org.junit.jupiter.api.Assertions.assertTrue(
        delete.keySet().containsAll(java.util.List.of("200", "202", "401", "403", "404", "409")),
        delete.keySet().toString());
    org.junit.jupiter.api.Assertions.assertNotNull(
        doc.get("paths.'/api/v1/work/{id}/events'.get.responses.'200'"));
  }
}
