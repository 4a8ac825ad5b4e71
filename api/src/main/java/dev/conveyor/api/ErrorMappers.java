package dev.conveyor.api;

import dev.conveyor.core.StorageUnavailableException;
import io.micrometer.core.instrument.Metrics;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error leaves as JSON {@code {"error":"…"}} with the right status: never an HTML page, a
 * stack trace or an internal detail.
 */
public class ErrorMappers {

  private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

  /** Seconds a client should wait before retrying after a 503. */
  static final String RETRY_AFTER_SECONDS = "1";

  static Response json(int status, String message) {
    Refusals.count(status);
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON)
        .entity(Map.of("error", message))
        .build();
  }

  @ServerExceptionMapper
  public Response invalid(InvalidWorkException e) {
    return json(e.status(), e.getMessage());
  }

  @ServerExceptionMapper
  public Response storageUnavailable(StorageUnavailableException e) {
    Metrics.counter("conveyor.redis.errors").increment(); // the outage's log lines: StorageGate
    return Response.fromResponse(json(503, "storage unavailable"))
        .header("Retry-After", RETRY_AFTER_SECONDS)
        .build();
  }

  @ServerExceptionMapper
  public Response tooManyWaiters(TooManyWaitersException e) {
    return Response.fromResponse(json(503, e.getMessage()))
        .header("Retry-After", RETRY_AFTER_SECONDS)
        .build();
  }

  @ServerExceptionMapper
  public Response notAllowed(NotAllowedException e, UriInfo uri) {
    // Quarkus REST leaves the allowed methods out
    return Response.fromResponse(json(405, MethodRules.MESSAGE))
        .header("Allow", MethodRules.allowedOn(uri.getPath()))
        .build();
  }

  @ServerExceptionMapper
  public Response web(WebApplicationException e) {
    int status = e.getResponse().getStatus();
    String message =
        switch (status) {
          case 404 -> "no such resource: use POST /api/v1/work or GET /api/v1/work/<callback>";
          case 413 -> "request body is larger than MAX_BODY_SIZE";
          case 415 -> "unsupported content type: send JSON";
          default ->
              Response.Status.fromStatusCode(status) != null
                  ? Response.Status.fromStatusCode(status).getReasonPhrase()
                  : "request refused";
        };
    return json(status, message);
  }

  @ServerExceptionMapper
  public Response unexpected(Exception e) {
    LOG.error("unexpected error answering a request", e);
    return json(500, "internal error: the request was not completed; see the server log");
  }
}
