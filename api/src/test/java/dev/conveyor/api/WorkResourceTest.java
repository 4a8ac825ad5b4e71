package dev.conveyor.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.JobQueue;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.testkit.InjectRedis;
import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The seed's HTTP contract, point by point, against a real Redis. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class WorkResourceTest {

  private static final String FOO = "ACBD18DB4CC2F85CEDEF654FCCC4A4D8";

  @InjectRedis RedisServer server;
  @Inject Redis redis;
  @Inject JobQueue queue;

  private RedisKeys keys() {
    return queue.keys();
  }

  private String call(Command command, String... args) {
    return RedisCalls.call(redis, command, args);
  }

  @BeforeEach
  void privateRedisStartsEmpty() {
    call(Command.FLUSHDB); // this test class's own, private Redis
  }

  @Test
  void postAcceptsWorkWithTheSeedsFourFieldsAndALocation() {
    given()
        .body("{\"data\":\"foo\"}")
        .post("/api/v1/work")
        .then()
        .statusCode(200)
        .contentType(ContentType.JSON)
        .header("Location", "/api/v1/work/" + FOO)
        .body("$", aMapWithSize(5))
        .body("accepted_by", equalTo("api@test"))
        .body("callback", equalTo(FOO))
        .body("data", equalTo("foo"))
        .body("status", equalTo("accepted"));
    assertEquals("1", call(Command.LLEN, keys().queue()));
  }

  @Test
  void postAcceptsTheSeedsFormEncodedCurlAndIgnoresAPathSuffix() {
    given()
        .contentType("application/x-www-form-urlencoded")
        .body("{\"data\":\"foo\"}")
        .post("/api/v1/work/anything/here")
        .then()
        .statusCode(200)
        .body("callback", equalTo(FOO));
  }

  @Test
  void callbackIsTheMd5OfTheDataOnly() {
    record Case(String body, String id) {}
    for (Case c :
        List.of(
            new Case("{\"data\":\"\"}", "D41D8CD98F00B204E9800998ECF8427E"),
            new Case("{\"data\":\"é\"}", "66DDCD97CFDEABB2F6FB8A999B4BC76F"),
            new Case("{\"data\":\"hello world\"}", "5EB63BBBE01EEED093CB22BB8F5ACDC3"),
            new Case("{\"data\":\"f\\u006fo\",\"extra\":[1,2]}", FOO),
            new Case("{\"other\":1,\"data\":\"foo\"}", FOO))) {
      given()
          .contentType("application/json; charset=utf-8")
          .body(c.body().getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .post("/api/v1/work")
          .then()
          .statusCode(200)
          .body("callback", equalTo(c.id()));
    }
  }

  @Test
  void getShowsPendingThenWorkingThenWorkedThenNotFound() {
    given().body("{\"data\":\"foo\"}").post("/api/v1/work").then().statusCode(200);
    given()
        .get("/api/v1/work/" + FOO)
        .then()
        .statusCode(200)
        .contentType(ContentType.JSON)
        .body("status", equalTo("pending"))
        .body("attempts", equalTo(0));

    var job = takeAndClaim("worker-t@host", "lease-1");
    given()
        .get("/api/v1/work/" + FOO)
        .then()
        .body("status", equalTo("working"))
        .body("worker", equalTo("worker-t@host"))
        .body("started_at", notNullValue());

    queue
        .complete(job, "worker-t@host", "{\"bytes\":3}", Duration.ofMillis(400))
        .await()
        .indefinitely();
    given()
        .get("/api/v1/work/_" + FOO + "?verbose=1")
        .then()
        .statusCode(200)
        .body("status", equalTo("worked"))
        .body("worked_by", equalTo("worker-t@host"))
        .body("result.bytes", equalTo(3))
        .body("attempts", equalTo(1));

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .until(() -> given().get("/api/v1/work/" + FOO).statusCode() == 404);
    given()
        .get("/api/v1/work/" + FOO)
        .then()
        .contentType(ContentType.JSON)
        .body("status", equalTo("404. not found!"));
  }

  @Test
  void unknownLowercaseOrMalformedIdsAreNotFound() {
    for (String id :
        List.of(
            "D41D8CD98F00B204E9800998ECF8427E",
            FOO.toLowerCase(),
            "..%2F..%2Fetc%2Fpasswd",
            "%00",
            "x".repeat(10_000))) {
      given()
          .urlEncodingEnabled(false)
          .get("/api/v1/work/" + id)
          .then()
          .statusCode(404)
          .contentType(ContentType.JSON)
          .body("status", equalTo("404. not found!"));
    }
  }

  @Test
  void getWithoutAnIdIsABadRequest() {
    for (String path : List.of("/api/v1/work", "/api/v1/work/")) {
      given()
          .get(path)
          .then()
          .statusCode(400)
          .contentType(ContentType.JSON)
          .body("error", equalTo("No callback_id was given in GET request"));
    }
  }

  @Test
  void badBodiesAreRefusedWithAClearJsonErrorAndNeverReachRedis() {
    record Case(String body, String message) {}
    for (Case c :
        List.of(
            new Case("", "request body is empty"),
            new Case("   ", "request body is empty"),
            new Case("{\"data\":", "not valid JSON"),
            new Case("{\"data\":\"foo\"} trailing", "not valid JSON"),
            new Case("[\"foo\"]", "must be a JSON object, got an array"),
            new Case("\"foo\"", "must be a JSON object, got a string"),
            new Case("{}", "field data is missing"),
            new Case("{\"data\":1}", "data must be a JSON string, got a number"),
            new Case("{\"data\":true}", "data must be a JSON string, got a boolean"),
            new Case("{\"data\":null}", "data must be a JSON string, got null"),
            new Case("{\"data\":{\"a\":1}}", "data must be a JSON string, got an object"),
            new Case("{\"data\":[1]}", "data must be a JSON string, got an array"),
            new Case("{\"data\":\"a\",\"data\":\"b\"}", "not valid JSON"),
            new Case("{\"data\":\"\\ud800\"}", "unpaired surrogate"),
            new Case("[".repeat(5000), "not valid JSON"))) {
      given()
          .contentType(ContentType.JSON)
          .body(c.body())
          .post("/api/v1/work")
          .then()
          .statusCode(400)
          .contentType(ContentType.JSON)
          .body("error", containsString(c.message()))
          .body("error", not(containsString("Exception")));
    }
    given()
        .contentType(ContentType.JSON)
        .body(new byte[] {'{', '"', 'd', 'a', 't', 'a', '"', ':', '"', (byte) 0xC3, '"', '}'})
        .post("/api/v1/work")
        .then()
        .statusCode(400)
        .body("error", containsString("not valid JSON"));
    assertEquals(List.of(), jobStateKeys(), "a refused request wrote nothing");
  }

  @Test
  void aBodyOverTheLimitIsRefusedWith413Json() throws Exception {
    byte[] big = new byte[1024 * 1024 + 10];
    java.util.Arrays.fill(big, (byte) 'a');
    // a Content-Length over the limit is refused from the headers alone
    dev.conveyor.testkit.RawHttp announced = OversizedPost.send(big.length);
    assertEquals(413, announced.status(), announced.body());
    assertEquals("application/json", announced.type(), announced.body());
    assertEquals(true, announced.body().contains("MAX_BODY_SIZE"), announced.body());
    assertTrue(announced.closed(), "the unread body is not taken for a next request");
    given()
        .contentType(ContentType.JSON)
        .body(new java.io.ByteArrayInputStream(big)) // no length: sent chunked
        .post("/api/v1/work")
        .then()
        .statusCode(413)
        .contentType(ContentType.JSON)
        .body("error", containsString("MAX_BODY_SIZE"));
    assertEquals(List.of(), jobStateKeys(), "a refused request wrote nothing");
  }

  /**
   * A client that asks {@code Expect: 100-continue} (curl does before a large body) is told to go
   * on at once, not left to wait out its own timeout; the answer is the usual one.
   */
  @Test
  void aClientThatExpects100ContinueIsToldToGoOnAndAccepted() throws Exception {
    byte[] body = "{\"data\":\"foo\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (java.net.Socket socket =
        new java.net.Socket("127.0.0.1", io.restassured.RestAssured.port)) {
      socket.setSoTimeout(5_000);
      var out = socket.getOutputStream();
      var in = socket.getInputStream();
      out.write(
          ("POST /api/v1/work HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + "Expect: 100-continue\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      long asked = System.nanoTime();
      String interim = readHead(in);
      long waitedMs = (System.nanoTime() - asked) / 1_000_000;
      assertTrue(interim.startsWith("HTTP/1.1 100"), interim);
      assertTrue(waitedMs < 900, "told to go on after " + waitedMs + " ms");
      out.write(body);
      out.flush();
      String head = readHead(in);
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
      assertTrue(
          head.toLowerCase(java.util.Locale.ROOT)
              .contains("location: /api/v1/work/" + FOO.toLowerCase(java.util.Locale.ROOT)),
          head);
    }
  }

  /** The status line and headers of one answer, up to the blank line. */
  private static String readHead(java.io.InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  @Test
  void otherMethodsAreNotAllowed() {
    for (String method : List.of("PUT", "DELETE", "PATCH", "OPTIONS")) {
      given()
          .body("{\"data\":\"foo\"}")
          .request(method, "/api/v1/work")
          .then()
          .statusCode(405)
          .contentType(ContentType.JSON)
          .header("Allow", "GET, POST")
          .body("error", containsString("method not allowed"));
    }
    for (String method : List.of("PUT", "PATCH", "OPTIONS")) {
      given()
          .body("{\"data\":\"foo\"}")
          .request(method, "/api/v1/work/" + FOO)
          .then()
          .statusCode(405)
          .contentType(ContentType.JSON)
          .header("Allow", "GET, POST, DELETE")
          .body("error", containsString("method not allowed"));
    }
  }

  @Test
  void theSameDataIsQueuedOnceWhilePendingAndAWorkedResultIsServed() {
    for (int i = 0; i < 3; i++) {
      given().body("{\"data\":\"foo\"}").post("/api/v1/work").then().statusCode(200);
    }
    assertEquals("1", call(Command.LLEN, keys().queue()));
    var job = takeAndClaim("w", "lease");
    given().body("{\"data\":\"foo\"}").post("/api/v1/work").then().statusCode(200);
    assertEquals("0", call(Command.LLEN, keys().queue()), "not queued while working");
    queue.complete(job, "w", "{\"n\":1}", Duration.ofSeconds(30)).await().indefinitely();
    given().body("{\"data\":\"foo\"}").post("/api/v1/work").then().statusCode(200);
    assertEquals("0", call(Command.LLEN, keys().queue()), "not recomputed while worked");
    given().get("/api/v1/work/" + FOO).then().body("status", equalTo("worked"));
  }

  @Test
  void aDuplicatePostNamesTheApiThatAcceptedTheJobAsGetDoes() {
    // the job was queued by another api first; this one answers the duplicate
    queue.submit("ACBD18DB4CC2F85CEDEF654FCCC4A4D8", "foo", "api@other").await().indefinitely();
    given()
        .body("{\"data\":\"foo\"}")
        .post("/api/v1/work")
        .then()
        .statusCode(200)
        .body("accepted_by", equalTo("api@other"));
    given().get("/api/v1/work/" + FOO).then().body("accepted_by", equalTo("api@other"));
    assertEquals("1", call(Command.LLEN, keys().queue()), "queued once");
    // a new job is this api's
    given()
        .body("{\"data\":\"bar\"}")
        .post("/api/v1/work")
        .then()
        .statusCode(200)
        .body("accepted_by", equalTo("api@test"));
  }

  @Inject dev.conveyor.core.Ledger ledger;

  @Test
  void theApiKeepsItselfInTheNodeLedger() {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                ledger.members().await().indefinitely().stream()
                    .anyMatch(e -> e.name().equals("api@test") && "api".equals(e.field("role"))));
  }

  @Test
  void unknownPathsAnswerJson() {
    given().get("/nothing/here").then().statusCode(404).contentType(ContentType.JSON);
  }

  @Test
  void everyRefusalIsJsonWithTheClientsTextEscapedAndCountedByItsStatus() {
    double badRequests = refused(400);
    double notAllowed = refused(405);
    double notFound = refused(404);
    // the route's refusal quotes what the client sent: quotes and a backslash stay a JSON string
    given()
        .body("{\"data\":\"x\",\"type\":\"Bad\\\\\\\"Type\"}")
        .post("/api/v1/work")
        .then()
        .statusCode(400)
        .contentType(ContentType.JSON)
        .body("error", containsString("got \"Bad\\\"Type\""));
    given().options("/api/v1/work").then().statusCode(405).contentType(ContentType.JSON);
    given().get("/nothing/here").then().statusCode(404).contentType(ContentType.JSON);
    assertEquals(badRequests + 1, refused(400));
    assertEquals(notAllowed + 1, refused(405));
    assertEquals(notFound + 1, refused(404));
    assertEquals(List.of(), jobStateKeys(), "a refused request stores nothing");
  }

  /** conveyor.requests.refused for a status, as /q/metrics shows it (0 before the first). */
  private static double refused(int status) {
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    String series = "conveyor_requests_refused_total{status=\"" + status + "\"} ";
    return metrics
        .lines()
        .filter(line -> line.startsWith(series))
        .mapToDouble(line -> Double.parseDouble(line.substring(series.length()).trim()))
        .findFirst()
        .orElse(0);
  }

  /** What a worker does: claim the next job of the default type into its processing list. */
  private dev.conveyor.core.ClaimedJob takeAndClaim(String node, String lease) {
    return queue
        .claimOne(dev.conveyor.core.JobSpec.DEFAULT_TYPE, node, lease)
        .await()
        .indefinitely()
        .orElseThrow();
  }

  private List<String> jobStateKeys() {
    return RedisCalls.jobStateKeys(redis, keys());
  }
}
