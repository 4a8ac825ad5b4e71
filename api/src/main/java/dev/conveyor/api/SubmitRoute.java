package dev.conveyor.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.core.StorageUnavailableException;
import io.micrometer.core.instrument.Metrics;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * {@code POST /api/v1/work}, and a POST to any path below {@code /api/v1/work/} (the seed's router
 * ignored the rest): the body read whole, {@link WorkService#accept} called, the {@code Accepted}
 * answer written with the application's {@code ObjectMapper} and a relative {@code Location}.
 *
 * <p>A plain Vert.x route rather than a REST resource: it costs about 9 % less of the api's CPU per
 * POST (bench/accept.py, docs/benchmarks.md, session 15), the hottest path of the api. What the
 * REST layer gave is here: the body limit (MAX_BODY_SIZE, for a chunked body too: {@link
 * RequestGuard} refuses a declared one from its headers), every error as JSON {@code {"error":"…"}}
 * with its status and the refusal counters ({@link Refusals}). Its OpenAPI description is in {@code
 * META-INF/openapi.yaml}.
 */
@Singleton
public class SubmitRoute {

  private static final Logger LOG = Logger.getLogger(SubmitRoute.class);

  static final String WORK = "/api/v1/work";
  // the type the REST layer gave the answer, with its charset (errors': Refusals, without)
  private static final CharSequence ANSWER_TYPE =
      HttpHeaders.createOptimized("application/json;charset=UTF-8");

  private final WorkService work;
  private final ObjectMapper json;
  private final long maxBody;

  public SubmitRoute(
      WorkService work,
      ObjectMapper json,
      @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody) {
    this.work = work;
    this.json = json;
    this.maxBody = maxBody.asLongValue();
  }

  void install(@Observes Router router) {
    // after RequestGuard (Integer.MIN_VALUE), before the REST layer's routes
    router.post(WORK).order(-1000).handler(this::accept);
    router.postWithRegex(WORK + "/.+").order(-1000).handler(this::accept);
  }

  private void accept(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    Body body = new Body();
    if (request.isEnded()) { // read whole before it was routed here: no body to wait for
      submit(ctx, body);
      return;
    }
    request.handler(
        chunk -> {
          if (body.refused) {
            return;
          }
          if (body.bytes.length() + chunk.length() > maxBody) {
            body.refused = true;
            // the rest is read and dropped; RequestGuard closes a chunked request's connection
            // once this answer is written, so none of it is taken for a next request
            refuse(ctx, 413, "request body is larger than MAX_BODY_SIZE");
            return;
          }
          body.bytes.appendBuffer(chunk);
        });
    request.exceptionHandler(e -> body.refused = true); // a reset: nobody is left to answer
    request.endHandler(end -> submit(ctx, body));
    if (request.version() == HttpVersion.HTTP_1_1
        && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      ctx.response().writeContinue(); // curl asks so before a large body, and waits a second
    }
    request.resume();
  }

  /** The body as it arrives: the bytes so far, and whether it was refused. */
  private static final class Body {
    final Buffer bytes = Buffer.buffer(256);
    boolean refused;
  }

  private void submit(RoutingContext ctx, Body body) {
    if (body.refused || ctx.response().ended()) {
      return; // answered already (413, or RequestGuard's 408)
    }
    try {
      work.accept(body.bytes.getBytes())
          .subscribe()
          .with(accepted -> accepted(ctx, accepted), failure -> failed(ctx, failure));
    } catch (RuntimeException e) {
      failed(ctx, e);
    }
  }

  private void accepted(RoutingContext ctx, WorkService.Accepted accepted) {
    if (ctx.response().ended()) {
      return;
    }
    byte[] answer;
    try {
      answer = json.writeValueAsBytes(accepted);
    } catch (JsonProcessingException e) {
      failed(ctx, e);
      return;
    }
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, ANSWER_TYPE)
        .putHeader(HttpHeaders.LOCATION, WORK + "/" + accepted.callback())
        .end(Buffer.buffer(answer));
  }

  private void failed(RoutingContext ctx, Throwable failure) {
    if (ctx.response().ended()) {
      return;
    }
    if (failure instanceof InvalidWorkException invalid) {
      refuse(ctx, invalid.status(), invalid.getMessage());
    } else if (failure instanceof StorageUnavailableException) {
      Metrics.counter("conveyor.redis.errors").increment(); // the outage's log lines: StorageGate
      ctx.response().putHeader("Retry-After", ErrorMappers.RETRY_AFTER_SECONDS);
      refuse(ctx, 503, "storage unavailable");
    } else {
      LOG.error("unexpected error answering a POST", failure);
      refuse(ctx, 500, "internal error: the request was not completed; see the server log");
    }
  }

  private static void refuse(RoutingContext ctx, int status, String message) {
    Refusals.send(ctx.response(), status, message);
  }
}
