package dev.conveyor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.JobQueue;
import dev.conveyor.testkit.RawHttp;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests an HTTP client library would not send, written on raw sockets straight at the api (as a
 * Kubernetes Service or a health checker reaches it, with no HAProxy in front): ambiguous framing
 * and a stalled body are refused with JSON, the connection is closed, and nothing is stored.
 * BODY_TIMEOUT is 2 s in tests.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class RequestGuardTest {

  private static final Duration LIMIT = Duration.ofSeconds(10);
  private static final String HEAD =
      "POST /api/v1/work HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";

  /** {"data":"foo"}: 14 bytes. */
  private static final String BODY = "{\"data\":\"foo\"}";

  @Inject Redis redis;
  @Inject JobQueue queue;

  @BeforeEach
  void privateRedisStartsEmpty() {
    RedisCalls.call(redis, Command.FLUSHDB);
  }

  private List<String> jobStateKeys() {
    return RedisCalls.jobStateKeys(redis, queue.keys());
  }

  @Test
  void aTransferCodingOtherThanChunkedIsRefusedEvenWithAContentLength() throws Exception {
    for (String coding : List.of("xchunked", "gzip, chunked", "chunked, identity", "identity")) {
      RawHttp answer =
          RawHttp.exchange(
              RestAssured.port,
              HEAD
                  + "Content-Length: 14\r\nTransfer-Encoding: "
                  + coding
                  + "\r\n\r\n"
                  // framed as its coding says (a coding ending in chunked: in chunks), so only
                  // the coding itself is wrong
                  + (coding.endsWith("chunked") ? "e\r\n" + BODY + "\r\n0\r\n\r\n" : BODY)
                  + "GET /api/v1/work/ACBD18DB4CC2F85CEDEF654FCCC4A4D8 HTTP/1.1\r\nHost: x\r\n\r\n",
              LIMIT);
      assertEquals(400, answer.status(), coding + ": " + answer);
      assertEquals("application/json", answer.type(), coding);
      assertTrue(answer.body().contains("Transfer-Encoding: chunked alone"), answer.body());
      assertTrue(answer.closed(), coding + ": the connection is closed");
      assertEquals("", answer.after(), coding + ": nothing after it is read as a request");
    }
    assertEquals(List.of(), jobStateKeys(), "a refused request wrote nothing");
  }

  @Test
  void aChunkedBodyIsReadByItsChunksAndTheConnectionClosedAfterTheAnswer() throws Exception {
    // Content-Length and chunked both: read by the chunks (RFC 9112 §6.1), and what follows the
    // last chunk is never answered as a request of its own
    RawHttp both =
        RawHttp.exchange(
            RestAssured.port,
            HEAD
                + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "e\r\n"
                + BODY
                + "\r\n0\r\n\r\n"
                + "GET /api/v1/work/ACBD18DB4CC2F85CEDEF654FCCC4A4D8 HTTP/1.1\r\nHost: x\r\n\r\n",
            LIMIT);
    assertEquals(200, both.status(), both.toString());
    assertTrue(both.body().contains("\"data\":\"foo\""), both.body());
    assertTrue(both.closed(), "closed after the answer");
    assertEquals("", both.after(), "the smuggled GET got no answer");
    // chunked alone: the same
    RawHttp chunked =
        RawHttp.exchange(
            RestAssured.port,
            HEAD
                + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"dat\r\n9\r\na\":\"bar\"}\r\n0\r\n\r\n",
            LIMIT);
    assertEquals(200, chunked.status(), chunked.toString());
    assertTrue(chunked.body().contains("\"data\":\"bar\""), chunked.body());
    assertTrue(chunked.closed(), "closed after the answer");
  }

  @Test
  void aBodyThatStallsIsAnswered408WithinBodyTimeoutAndNothingIsStored() throws Exception {
    RawHttp answer =
        RawHttp.exchange(
            RestAssured.port, HEAD + "Content-Length: 1000000\r\n\r\n{\"data\":\"", LIMIT);
    assertEquals(408, answer.status(), answer.toString());
    assertEquals("application/json", answer.type());
    assertTrue(answer.body().contains("BODY_TIMEOUT"), answer.body());
    assertTrue(answer.closed(), "the connection is closed");
    assertTrue(
        answer.ms() >= 1_900 && answer.ms() < 5_000, "answered at BODY_TIMEOUT: " + answer.ms());
    // a chunked body that stops is cut the same way
    RawHttp chunked =
        RawHttp.exchange(
            RestAssured.port, HEAD + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"dat\r\n", LIMIT);
    assertEquals(408, chunked.status(), chunked.toString());
    assertTrue(chunked.closed(), "the connection is closed");
    assertEquals(List.of(), jobStateKeys(), "a refused request wrote nothing");
    // a whole body on the same kind of connection is served as ever
    RawHttp whole =
        RawHttp.exchange(RestAssured.port, HEAD + "Content-Length: 14\r\n\r\n" + BODY, LIMIT);
    assertEquals(200, whole.status(), whole.toString());
    assertTrue(!whole.closed(), "a plain request keeps its connection");
  }
}
