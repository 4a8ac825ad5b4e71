package dev.conveyor.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.CallbackId;
import dev.conveyor.core.JobQueue;
import dev.conveyor.core.Ledger;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract's additions for job types, priorities and delayed jobs, against a real Redis. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class TypedWorkTest {

  @Inject Redis redis;
  @Inject JobQueue queue;
  @Inject Ledger ledger;

  private RedisKeys keys() {
    return queue.keys();
  }

  private String call(Command command, String... args) {
    return RedisCalls.call(redis, command, args);
  }

  @BeforeEach
  void privateRedisStartsEmpty() {
    call(Command.FLUSHDB);
  }

  @Test
  void aTypedPostEchoesTypeAndPriorityAndQueuesIntoThatTypesQueue() {
    String id = CallbackId.of("checksum", "hello");
    given()
        .body("{\"data\":\"hello\",\"type\":\"checksum\",\"priority\":\"high\"}")
        .post("/api/v1/work")
        .then()
        .statusCode(200)
        .contentType(ContentType.JSON)
        .header("Location", "/api/v1/work/" + id)
        .body("$", aMapWithSize(7))
        .body("callback", equalTo(id))
        .body("data", equalTo("hello"))
        .body("status", equalTo("accepted"))
        .body("type", equalTo("checksum"))
        .body("priority", equalTo("high"));
    assertEquals("1", call(Command.LLEN, keys().queue("checksum", "high")));
    assertEquals("0", call(Command.LLEN, keys().queue()));
    given()
        .get("/api/v1/work/" + id)
        .then()
        .statusCode(200)
        .body("status", equalTo("pending"))
        .body("type", equalTo("checksum"))
        .body("priority", equalTo("high"));
  }

  @Test
  void jobsOfDifferentTypesNeverShareACallbackAndTheSameTypeAndDataStayOne() {
    String plain = post("{\"data\":\"same\"}");
    String typed = post("{\"data\":\"same\",\"type\":\"checksum\"}");
    String again = post("{\"data\":\"same\",\"type\":\"checksum\",\"priority\":\"low\"}");
    String explicitDefault = post("{\"data\":\"same\",\"type\":\"default\"}");
    assertEquals(CallbackId.of("same"), plain);
    assertNotEquals(plain, typed);
    assertEquals(typed, again, "the same type and data is one job");
    assertEquals(plain, explicitDefault, "type default is the seed's job");
    assertEquals("2", call(Command.HGET, keys().stats(), "accepted"));
    assertEquals("2", call(Command.HGET, keys().stats(), "deduplicated"));
  }

  @Test
  void aDelayedJobIsPendingWithItsRunAtUntilDueAndWaitsInTheDelayedSet() {
    Instant before = Instant.now();
    String id =
        given()
            .body("{\"data\":\"later\",\"delay\":\"5m\"}")
            .post("/api/v1/work")
            .then()
            .statusCode(200)
            .body("delay", equalTo("5m"))
            .body("type", nullValue())
            .extract()
            .path("callback");
    assertEquals(CallbackId.of("later"), id, "a delay is no part of the job's identity");
    String runAt =
        given()
            .get("/api/v1/work/" + id)
            .then()
            .statusCode(200)
            .body("status", equalTo("pending"))
            .extract()
            .path("run_at");
    Instant due = Instant.parse(runAt);
    assertTrue(
        !due.isBefore(before.plusSeconds(299)) && due.isBefore(Instant.now().plusSeconds(301)),
        "run_at " + runAt);
    assertEquals("1", call(Command.ZCARD, keys().delayed()));
    assertEquals("0", call(Command.LLEN, keys().queue()));

    String at = Instant.now().plus(Duration.ofDays(2)).toString();
    given()
        .body("{\"data\":\"at\",\"run_at\":\"" + at + "\"}")
        .post("/api/v1/work")
        .then()
        .statusCode(200)
        .body("run_at", equalTo(at));
    assertEquals("2", call(Command.ZCARD, keys().delayed()));
  }

  @Test
  void badTypesPrioritiesDelaysAndRunAtsAreRefusedNamingTheFieldAndWriteNothing() {
    String past = Instant.now().minusSeconds(60).toString();
    String far = Instant.now().plus(Duration.ofDays(31)).toString();
    record Case(String body, String message) {}
    for (Case c :
        List.of(
            new Case("{\"data\":\"x\",\"type\":\"Checksum\"}", "type must be a lowercase word"),
            new Case("{\"data\":\"x\",\"type\":\"\"}", "type must be a lowercase word"),
            new Case("{\"data\":\"x\",\"type\":\"a:b\"}", "type must be a lowercase word"),
            new Case("{\"data\":\"x\",\"type\":\"" + "a".repeat(65) + "\"}", "at most 64"),
            new Case("{\"data\":\"x\",\"type\":7}", "type must be a JSON string, got a number"),
            new Case("{\"data\":\"x\",\"priority\":\"urgent\"}", "priority must be \"high\""),
            new Case("{\"data\":\"x\",\"priority\":1}", "priority must be a JSON string"),
            new Case("{\"data\":\"x\",\"delay\":\"soon\"}", "delay must be a whole number"),
            new Case("{\"data\":\"x\",\"delay\":\"-5s\"}", "delay must be a whole number"),
            new Case("{\"data\":\"x\",\"delay\":\"31d\"}", "delay must be at most 30 days"),
            new Case("{\"data\":\"x\",\"delay\":\"99999999999h\"}", "delay must be a whole"),
            new Case("{\"data\":\"x\",\"delay\":30}", "delay must be a JSON string"),
            new Case("{\"data\":\"x\",\"run_at\":\"tomorrow\"}", "run_at must be an ISO-8601"),
            new Case("{\"data\":\"x\",\"run_at\":\"" + past + "\"}", "is in the past"),
            new Case("{\"data\":\"x\",\"run_at\":\"" + far + "\"}", "at most 30 days ahead"),
            new Case(
                "{\"data\":\"x\",\"delay\":\"5s\",\"run_at\":\"" + far + "\"}",
                "delay and run_at cannot both be given"))) {
      given()
          .body(c.body())
          .post("/api/v1/work")
          .then()
          .statusCode(400)
          .contentType(ContentType.JSON)
          .body("error", containsString(c.message()))
          .body("error", not(containsString("Exception")));
    }
    assertEquals(
        List.of(), RedisCalls.jobStateKeys(redis, keys()), "a refused request wrote nothing");
  }

  @Test
  void aPendingJobOfATypeNoWorkerServesSaysSoAndStopsSayingItOnceOneDoes() {
    String id = post("{\"data\":\"x\",\"type\":\"resize\"}");
    given()
        .get("/api/v1/work/" + id)
        .then()
        .statusCode(200)
        .body("status", equalTo("pending"))
        .body("note", equalTo("waiting for a worker of type resize: no running worker serves it"));
    ledger
        .heartbeat(
            "w@test", Duration.ofSeconds(10), Map.of("role", "worker", "types", "default,resize"))
        .await()
        .indefinitely();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> given().get("/api/v1/work/" + id).then().extract().path("note") == null);
  }

  private String post(String body) {
    return given()
        .body(body)
        .post("/api/v1/work")
        .then()
        .statusCode(200)
        .extract()
        .path("callback");
  }

  @Test
  void aNotifyUrlOfAnAllowedHostIsKeptAndEchoedAndEachSubmittersIsKept() {
    String url = "http://127.0.0.1:9/hook";
    String id =
        given()
            .body("{\"data\":\"hooked\",\"notify_url\":\"" + url + "\"}")
            .post("/api/v1/work")
            .then()
            .statusCode(200)
            .body("notify_url", equalTo(url))
            .extract()
            .path("callback");
    assertEquals(CallbackId.of("hooked"), id, "the URL is no part of the job's identity");
    given()
        .body("{\"data\":\"hooked\",\"notify_url\":\"https://hooks.test/other\"}")
        .post("/api/v1/work")
        .then()
        .statusCode(200);
    assertEquals(url + "\nhttps://hooks.test/other", call(Command.HGET, keys().job(id), "notify"));
    given()
        .get("/api/v1/work/" + id)
        .then()
        .body("notify", nullValue())
        .body("notify_url", nullValue()); // who is called back is not shown to whoever reads
  }

  @Test
  void aNotifyUrlOfAnotherHostOrSchemeIsRefusedAndWritesNothing() {
    for (String body :
        List.of(
            "{\"data\":\"x\",\"notify_url\":\"http://169.254.169.254/latest\"}",
            "{\"data\":\"x\",\"notify_url\":\"file:///etc/passwd\"}",
            "{\"data\":\"x\",\"notify_url\":\"http://user:pw@127.0.0.1/\"}",
            "{\"data\":\"x\",\"notify_url\":42}")) {
      given()
          .body(body)
          .post("/api/v1/work")
          .then()
          .statusCode(400)
          .contentType(ContentType.JSON)
          .body("error", containsString("notify_url"));
    }
    assertEquals(
        List.of(), RedisCalls.jobStateKeys(redis, keys()), "a refused request wrote nothing");
  }
}
