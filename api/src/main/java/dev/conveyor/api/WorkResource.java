package dev.conveyor.api;

import dev.conveyor.core.CallbackId;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * The seed's HTTP contract, but for its POST: {@code GET /api/v1/work/<id>} tells a job's status,
 * holding the answer until the job is final with {@code ?wait=}; {@code DELETE /api/v1/work/<id>}
 * with the job's cancel token cancels it. ({@code POST /api/v1/work}, which accepts work, is {@link
 * SubmitRoute}; the events stream is {@link JobEventStream}.)
 */
@Path("/api/v1/work")
@Produces(MediaType.APPLICATION_JSON)
public class WorkResource {

  static final Map<String, String> NOT_FOUND = Map.of("status", "404. not found!");

  private final WorkService work;
  private final Waits waits;
  private final Duration maxWait;

  public WorkResource(WorkService work, Waits waits, ApiConfig config) {
    this.work = work;
    this.waits = waits;
    this.maxWait = config.maxWait();
  }

  @GET
  @Operation(summary = "No callback id: always 400 (the seed's answer)")
  @APIResponse(
      responseCode = "400",
      description = "no callback id was given",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Error")))
  public Response statusWithoutId() {
    throw new InvalidWorkException(400, "No callback_id was given in GET request");
  }

  /** With {@code ?wait=30s}: answers once the job is final, or when the wait (≤ MAX_WAIT) ends. */
  @GET
  @Path("{id}")
  @Parameter(
      name = "wait",
      in = ParameterIn.QUERY,
      description =
          "hold the answer until the job is worked, failed or cancelled, for at most this long"
              + " (a whole number and ms, s or m, such as 30s; at most MAX_WAIT, default 60s);"
              + " then the job as it is",
      schema = @Schema(type = SchemaType.STRING, pattern = "^[0-9]{1,10}(ms|s|m)$"))
  @Operation(summary = "The job's state, at once or once it is final (?wait=)")
  @APIResponse(
      responseCode = "200",
      description = "the job",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "400",
      description = "a bad wait",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Error")))
  @APIResponse(
      responseCode = "404",
      description = "no such job, or it expired (the seed's answer)",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "NotFound")))
  @APIResponse(
      responseCode = "503",
      description = "Redis unavailable, or MAX_WAITERS waits held already",
      headers = @Header(name = "Retry-After", ref = "Retry-After"),
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Error")))
  public Uni<Response> status(
      @PathParam("id") String id, @Parameter(hidden = true) HttpServerRequest request) {
    // read from the request, where a present but empty ?wait= is "" (a bad wait), not absent
    String wait = request.getParam("wait");
    Optional<Duration> waiting =
        wait == null ? Optional.empty() : Optional.of(WorkRequestParser.waitOf(wait, maxWait));
    Optional<String> valid = CallbackId.parse(id);
    if (valid.isEmpty()) {
      return Uni.createFrom().item(notFound());
    }
    return (waiting.isPresent()
            ? waits.until(valid.get(), waiting.get())
            : work.status(valid.get()))
        .map(view -> view.map(v -> Response.ok(v).build()).orElseGet(WorkResource::notFound));
  }

  /**
   * Cancels the job whose cancel token the {@code Authorization: Bearer} header carries: 202 (now),
   * 200 (already cancelled), 409 (worked or failed), 404 (no such job), each with the view; 401
   * without a token, 403 with another job's.
   */
  @DELETE
  @Path("{id}")
  @Parameter(
      name = HttpHeaders.AUTHORIZATION,
      in = ParameterIn.HEADER,
      required = true,
      description = "Bearer <cancel_token>, the token POST answered for this job",
      schema = @Schema(type = SchemaType.STRING))
  @Operation(summary = "Cancel the job, with the cancel token its POST answered")
  @APIResponse(
      responseCode = "202",
      description = "cancelled now (a running job's worker is told to stop it)",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "200",
      description = "cancelled already",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "401",
      description = "no cancel token",
      headers =
          @Header(name = HttpHeaders.WWW_AUTHENTICATE, schema = @Schema(type = SchemaType.STRING)),
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Error")))
  @APIResponse(
      responseCode = "403",
      description = "another job's cancel token",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Error")))
  @APIResponse(
      responseCode = "404",
      description = "no such job, or it expired",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "NotFound")))
  @APIResponse(
      responseCode = "409",
      description = "worked or failed already: nothing to cancel",
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "503",
      description = "Redis unavailable",
      headers = @Header(name = "Retry-After", ref = "Retry-After"),
      content = @Content(mediaType = "application/json", schema = @Schema(ref = "Error")))
  public Uni<Response> cancel(
      @PathParam("id") String id,
      @jakarta.ws.rs.HeaderParam(HttpHeaders.AUTHORIZATION) String auth) {
    Optional<String> valid = CallbackId.parse(id);
    if (valid.isEmpty()) {
      return Uni.createFrom().item(notFound());
    }
    if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.length() == 7) {
      return Uni.createFrom()
          .item(
              Response.fromResponse(
                      ErrorMappers.json(
                          401,
                          "cancelling needs the job's cancel token (from the POST's answer):"
                              + " Authorization: Bearer <cancel_token>"))
                  .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"conveyor\"")
                  .build());
    }
    String token = auth.substring(7).trim();
    return work.mayCancel(valid.get(), token)
        .flatMap(
            allowed ->
                allowed
                    ? work.cancel(valid.get()).map(WorkResource::cancelAnswer)
                    : Uni.createFrom()
                        .item(
                            ErrorMappers.json(
                                403,
                                "this cancel token is not this job's: nothing was cancelled")));
  }

  private static Response cancelAnswer(WorkService.Cancelled done) {
    if (done.view().isEmpty()) {
      return notFound();
    }
    if (done.httpStatus() == 409) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put(
          "error",
          "the job is already " + done.view().get().get("status") + ": there is nothing to cancel");
      body.putAll(done.view().get());
      return Response.status(409).entity(body).build();
    }
    return Response.status(done.httpStatus()).entity(done.view().get()).build();
  }

  private static Response notFound() {
    return Response.status(Response.Status.NOT_FOUND).entity(NOT_FOUND).build();
  }
}
