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

/**
 * The console's actions: requeue or delete a failed job, pause, resume or drain a worker. Each one
 * needs SYSMON_TOKEN, as a bearer token or as the password of basic auth; with no token configured
 * every action is refused (403), never open.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class ActionResource {

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
  public Response worker(
      @PathParam("name") String name,
      @PathParam("action") String action,
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
