package dev.conveyor.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;

import dev.conveyor.testkit.InjectRedis;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Redis really stopped, or frozen: fast 503s, readiness DOWN, and recovery without a restart. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class StorageOutageTest {

  private static final String FOO = "ACBD18DB4CC2F85CEDEF654FCCC4A4D8";

  @InjectRedis RedisServer server;

  @AfterEach
  void redisIsBack() {
    if (server.isRunning()) {
      server.thaw();
    } else {
      server.restart();
    }
  }

  private void answers503Fast() {
    given()
        .body("{\"data\":\"foo\"}")
        .post("/api/v1/work")
        .then()
        .time(lessThan(1000L), TimeUnit.MILLISECONDS)
        .statusCode(503)
        .contentType(ContentType.JSON)
        .header("Retry-After", "1")
        .body("error", equalTo("storage unavailable"));
    given()
        .get("/api/v1/work/" + FOO)
        .then()
        .time(lessThan(1000L), TimeUnit.MILLISECONDS)
        .statusCode(503)
        .header("Retry-After", "1")
        .body("error", equalTo("storage unavailable"));
    given()
        .body("{\"data\":1}")
        .post("/api/v1/work")
        .then()
        .statusCode(400)
        .body("error", containsString("data must be a JSON string"));
    given()
        .get("/q/health/ready")
        .then()
        .time(lessThan(1000L), TimeUnit.MILLISECONDS)
        .statusCode(503)
        .body("status", equalTo("DOWN"));
    given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    // the balancer keeps this api in rotation: it answers for itself (above), Redis or not
    given().get("/q/health/group/balancer").then().statusCode(200).body("status", equalTo("UP"));
  }

  private void worksAgainWithoutARestart() {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> given().body("{\"data\":\"foo\"}").post("/api/v1/work").statusCode() == 200);
    given().get("/api/v1/work/" + FOO).then().statusCode(200).body("status", equalTo("pending"));
    given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
  }

  @Test
  void aStoppedRedisGetsFast503sAndWorkResumesWhenItReturns() {
    given().body("{\"data\":\"before\"}").post("/api/v1/work").then().statusCode(200);
    server.stop();
    answers503Fast();
    server.restart();
    worksAgainWithoutARestart();
  }

  @Test
  void aFrozenRedisGetsFast503sNotAHang() {
    given().get("/q/health/ready").then().statusCode(200);
    server.freeze();
    answers503Fast();
    server.thaw();
    worksAgainWithoutARestart();
  }

  @Test
  void onceRedisIsKnownDownEveryRequestIsAnsweredWithoutWaitingOutTheTimeout() {
    given().get("/q/health/ready").then().statusCode(200);
    server.freeze(); // silent, as a stopped container's address is: no refusal, no answer
    given().body("{\"data\":\"first\"}").post("/api/v1/work").then().statusCode(503);
    // REDIS_TIMEOUT is 500 ms: each of these would take that long if it were sent to Redis
    for (int i = 0; i < 10; i++) {
      given()
          .body("{\"data\":\"then " + i + "\"}")
          .post("/api/v1/work")
          .then()
          .time(lessThan(300L), TimeUnit.MILLISECONDS)
          .statusCode(503)
          .header("Retry-After", "1")
          .body("error", equalTo("storage unavailable"));
      given()
          .get("/api/v1/work/" + FOO)
          .then()
          .time(lessThan(300L), TimeUnit.MILLISECONDS)
          .statusCode(503);
    }
    server.thaw();
    worksAgainWithoutARestart();
  }
}
