package dev.conveyor.sysmon;

import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** The read-only JSON API behind the console page (and for scripts): no token needed. */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class ConsoleResource {

  /** What {@code /api/jobs?status=} may ask for. */
  static final List<String> STATUSES = List.of("pending", "working", "worked", "failed", "gone");

  private final Monitor monitor;

  public ConsoleResource(Monitor monitor) {
    this.monitor = monitor;
  }

  @GET
  @Path("/overview")
  @Operation(summary = "Everything the console shows, as of the latest look")
  public Report overview() {
    return monitor.latest();
  }

  @GET
  @Path("/workers")
  @Operation(summary = "The nodes of the ledger (workers, apis, sysmon, shells)")
  public List<Report.Node> workers() {
    return monitor.latest().nodes();
  }

  @GET
  @Path("/jobs")
  @Operation(summary = "Recently accepted jobs and dead letters, optionally of one status")
  @APIResponse(
      responseCode = "200",
      description = "the jobs",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(type = SchemaType.ARRAY, implementation = Report.Job.class)))
  @APIResponse(
      responseCode = "400",
      description = "an unknown status",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ActionResource.Error.class)))
  public List<Report.Job> jobs(
      @QueryParam("status")
          @Parameter(
              description = "pending, working, worked, failed or gone; all when absent",
              schema = @Schema(enumeration = {"pending", "working", "worked", "failed", "gone"}))
          String status) {
    if (status != null && !status.isBlank() && !STATUSES.contains(status)) {
      throw new BadRequestException(
          SysmonErrors.json(
              400,
              "status must be one of " + String.join(", ", STATUSES) + ", got \"" + status + "\""));
    }
    Report report = monitor.latest();
    Stream<Report.Job> all =
        Stream.concat(
            report.recent().stream(),
            report.dead().stream()
                .filter(d -> report.recent().stream().noneMatch(r -> r.id().equals(d.id()))));
    return all.filter(j -> status == null || status.isBlank() || status.equals(j.status()))
        .toList();
  }

  @GET
  @Path("/stream")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  @Operation(summary = "The overview again at every look (server-sent events)")
  public Multi<Report> stream() {
    return Multi.createBy()
        .concatenating()
        .streams(Multi.createFrom().item(monitor.latest()), monitor.reports());
  }
}
