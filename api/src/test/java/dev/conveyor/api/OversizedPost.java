package dev.conveyor.api;

import dev.conveyor.testkit.RawHttp;
import io.restassured.RestAssured;
import java.io.IOException;
import java.time.Duration;

/**
 * A POST that announces a body over MAX_BODY_SIZE and sends none: the api answers from the headers
 * alone. (Sending the body too races the api, which answers 413 and closes at once: the client's
 * write then fails with a broken pipe, as it would for any client, before the answer is read.)
 */
final class OversizedPost {

  private OversizedPost() {}

  static RawHttp send(long contentLength) throws IOException {
    return RawHttp.exchange(
        RestAssured.port,
        "POST /api/v1/work HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: "
            + contentLength
            + "\r\n\r\n",
        Duration.ofSeconds(5));
  }
}
