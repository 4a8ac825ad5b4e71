package dev.conveyor.api;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * How every refusal leaves the api: JSON {@code {"error":"…"}} with its status, counted in {@code
 * conveyor.requests.refused} by status (on /q/metrics beside Quarkus' own HTTP metrics). The REST
 * layer's refusals go through {@link ErrorMappers}, the Vert.x routes' ({@link RequestGuard},
 * {@link MethodRules}, {@link SubmitRoute}) through {@link #send}.
 */
final class Refusals {

  private static final CharSequence JSON_TYPE = HttpHeaders.createOptimized("application/json");

  private Refusals() {}

  /** Counts one refusal with this status. */
  static void count(int status) {
    Metrics.counter("conveyor.requests.refused", "status", Integer.toString(status)).increment();
  }

  /** The JSON body of a refusal: the message escaped as a JSON string. */
  static String body(String message) {
    return "{\"error\":\""
        + new String(JsonStringEncoder.getInstance().quoteAsString(message))
        + "\"}";
  }

  /**
   * Counts the refusal and ends the response with its JSON; headers set on the response before
   * (Retry-After, Allow, Connection) go with it.
   */
  static Future<Void> send(HttpServerResponse response, int status, String message) {
    count(status);
    return response
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE)
        .end(body(message));
  }
}
