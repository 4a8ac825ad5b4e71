package dev.conveyor.sysmon;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.regex.Pattern;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Sysmon's refusals as JSON {@code {"error":"…"}}, like the API's: an unknown path or action is a
 * 404, a method a path does not take is a 405 whose {@code Allow} names the ones it does, OPTIONS
 * included (Quarkus would answer it 200 by itself).
 */
@Singleton
public class SysmonErrors {

  private static final Pattern WORKER_ACTION =
      Pattern.compile("/api/workers/[^/]+/(pause|resume|drain)");
  private static final Pattern REQUEUE = Pattern.compile("/api/jobs/[^/]+/requeue");
  private static final Pattern JOB = Pattern.compile("/api/jobs/[^/]+");

  /** The methods a path of sysmon's takes. */
  static String allowedFor(String path) {
    if (WORKER_ACTION.matcher(path).matches() || REQUEUE.matcher(path).matches()) {
      return "POST";
    }
    if (JOB.matcher(path).matches()) {
      return "DELETE";
    }
    return "GET";
  }

  static Response json(int status, String message) {
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON)
        .entity(Map.of("error", message))
        .build();
  }

  @ServerExceptionMapper
  public Response notAllowed(NotAllowedException e, HttpServerRequest request) {
    String allowed = allowedFor(request.path());
    return Response.fromResponse(
            json(405, "method not allowed: " + request.path() + " takes " + allowed))
        .header("Allow", allowed)
        .build();
  }

  @ServerExceptionMapper
  public Response notFound(NotFoundException e, HttpServerRequest request) {
    return json(
        404,
        "no such resource: "
            + request.path()
            + "; the API is described at /q/openapi (actions: pause, resume, drain, requeue,"
            + " delete)");
  }

  void refuseOptions(@Observes Router router) {
    router
        .route()
        .method(HttpMethod.OPTIONS)
        .order(Integer.MIN_VALUE)
        .handler(
            ctx -> {
              String allowed = allowedFor(ctx.request().path());
              ctx.response()
                  .setStatusCode(405)
                  .putHeader(HttpHeaders.ALLOW, allowed)
                  .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                  .end(
                      "{\"error\":\"method not allowed: "
                          + ctx.request().path().replaceAll("[\"\\\\\\p{Cntrl}]", "")
                          + " takes "
                          + allowed
                          + "\"}");
            });
  }
}
