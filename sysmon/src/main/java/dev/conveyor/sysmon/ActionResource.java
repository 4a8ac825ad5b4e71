package dev.conveyor.sysmon;

import dev.conveyor.core.DeadLetters;
import dev.conveyor.core.cluster.ClusterMember;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/**
 * The console's actions: requeue or delete a failed job, pause, resume or drain a worker. Each one
 * needs SYSMON_TOKEN, as a bearer token or as the password of basic auth; with no token configured
 * every action is refused (403), never open.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@SecurityScheme(
    securitySchemeName = "bearer",
    type = SecuritySchemeType.HTTP,
    scheme = "bearer",
    description = "SYSMON_TOKEN as a bearer token")
@SecurityScheme(
    securitySchemeName = "basic",
    type = SecuritySchemeType.HTTP,
    scheme = "basic",
    description = "any user name, SYSMON_TOKEN as the password (what a browser prompt sends)")
@SecurityRequirement(name = "bearer")
@SecurityRequirement(name = "basic")
@APIResponse(
    responseCode = "401",
    description = "no SYSMON_TOKEN presented, or another",
    headers = @Header(name = "WWW-Authenticate", schema = @Schema(type = SchemaType.STRING)),
    content =
        @Content(mediaType = "application/json", schema = @Schema(implementation = Error.class)))
@APIResponse(
    responseCode = "403",
    description = "actions are disabled: sysmon runs without SYSMON_TOKEN",
    content =
        @Content(mediaType = "application/json", schema = @Schema(implementation = Error.class)))
@APIResponse(
    responseCode = "409",
    description = "nothing to do: the job is not failed, or the worker refused (already so)",
    content =
        @Content(mediaType = "application/json", schema = @Schema(implementation = Error.class)))
public class ActionResource {

  /** An error's answer. */
  @Schema(name = "Error")
  public record Error(@Schema(required = true) String error) {}

  /** What an action on a job answers. */
  public record JobAction(
      @Schema(required = true) String id,
      @Schema(
              required = true,
              enumeration = {"pending", "deleted"})
          String status) {}

  /** What an action on a worker answers. */
  public record WorkerAction(
      @Schema(required = true) String worker, @Schema(required = true) String state) {}

  private final Monitor monitor;
  private final DeadLetters deadLetters;
  private final Optional<String> token;

  public ActionResource(Monitor monitor, SysmonConfig config) {
    this.monitor = monitor;
    this.deadLetters = monitor.store().deadLetters();
    this.token = config.token().filter(t -> !t.isBlank());
  }

  @POST
  @Path("/jobs/{id}/requeue")
  @Operation(summary = "Send a failed job back to the queue (needs SYSMON_TOKEN)")
  @APIResponse(
      responseCode = "200",
      description = "back in its queue",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = JobAction.class)))
  public Response requeue(
      @PathParam("id") String id, @HeaderParam("Authorization") String authorization) {
    return authorized(authorization)
        .orElseGet(
            () ->
                deadLetters.requeue(id).await().indefinitely()
                    ? Response.ok(Map.of("id", id, "status", "pending")).build()
                    : conflict("job " + id + " is not failed: only failed jobs can be requeued"));
  }

  @DELETE
  @Path("/jobs/{id}")
  @Operation(summary = "Delete a failed job (needs SYSMON_TOKEN)")
  @APIResponse(
      responseCode = "200",
      description = "deleted",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = JobAction.class)))
  public Response delete(
      @PathParam("id") String id, @HeaderParam("Authorization") String authorization) {
    return authorized(authorization)
        .orElseGet(
            () ->
                deadLetters.delete(id).await().indefinitely()
                    ? Response.ok(Map.of("id", id, "status", "deleted")).build()
                    : conflict("job " + id + " is not failed: only failed jobs can be deleted"));
  }

  @POST
  @Path("/workers/{name}/{action: pause|resume|drain}")
  @Operation(summary = "Pause, resume or drain a worker over the cluster (needs SYSMON_TOKEN)")
  @APIResponse(
      responseCode = "200",
      description = "done: the worker's state now",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = WorkerAction.class)))
  @APIResponse(
      responseCode = "404",
      description = "no such worker in the cluster",
      content =
          @Content(mediaType = "application/json", schema = @Schema(implementation = Error.class)))
  @APIResponse(
      responseCode = "503",
      description = "the cluster did not answer",
      content =
          @Content(mediaType = "application/json", schema = @Schema(implementation = Error.class)))
  public Response worker(
      @PathParam("name") String name,
      @PathParam("action") @Parameter(schema = @Schema(enumeration = {"pause", "resume", "drain"}))
          String action,
      @HeaderParam("Authorization") String authorization) {
    return authorized(authorization)
        .orElseGet(
            () -> {
              try {
                List<ClusterMember.Reply> replies =
                    monitor.cluster().ask(action, Optional.of(name), Duration.ofSeconds(3));
                ClusterMember.Reply reply = replies.getFirst();
                return reply.ok()
                    ? Response.ok(
                            Map.of(
                                "worker", name, "state", reply.fields().getOrDefault("state", "?")))
                        .build()
                    : conflict(name + ": " + reply.error());
              } catch (IllegalArgumentException e) {
                return Response.status(404).entity(Map.of("error", e.getMessage())).build();
              } catch (Exception e) {
                return Response.status(503)
                    .entity(Map.of("error", "the cluster did not answer: " + e.getMessage()))
                    .build();
              }
            });
  }

  private static Response conflict(String message) {
    return Response.status(409).entity(Map.of("error", message)).build();
  }

  /** Empty when the caller may act, else the refusal. */
  private Optional<Response> authorized(String authorization) {
    if (token.isEmpty()) {
      return Optional.of(
          Response.status(403)
              .entity(Map.of("error", "actions are disabled: start sysmon with SYSMON_TOKEN set"))
              .build());
    }
    if (authorization == null || !matches(presented(authorization), token.get())) {
      return Optional.of(
          Response.status(401)
              .header("WWW-Authenticate", "Bearer realm=\"conveyor sysmon\"")
              .entity(Map.of("error", "this action needs SYSMON_TOKEN as a bearer token"))
              .build());
    }
    return Optional.empty();
  }

  /** The token a header presents: {@code Bearer <token>} or basic auth's password. */
  private static String presented(String authorization) {
    if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String decoded =
            new String(
                Base64.getDecoder().decode(authorization.substring(6).trim()),
                StandardCharsets.UTF_8);
        return decoded.substring(decoded.indexOf(':') + 1);
      } catch (IllegalArgumentException e) {
        return "";
      }
    }
    return "";
  }

  private static boolean matches(String presented, String expected) {
    return MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
  }
}
