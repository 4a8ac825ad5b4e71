package dev.conveyor.sysmon;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.OpenApiContract;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Sysmon's OpenAPI document tells the truth: it is valid OpenAPI, and real answers of the console's
 * API — reads, a bad filter, actions without and with the token, on jobs and workers that are not
 * there — are all listed for their operation and match the schemas given for them.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@TestProfile(TokenActionsTest.WithToken.class)
class SysmonOpenApiContractTest {

  private static final String TOKEN = "Bearer s3cr3t-token";

  private static OpenApiContract contract() {
    return new OpenApiContract(
        given().get("/q/openapi?format=json").then().statusCode(200).extract().asString());
  }

  @Test
  void theDocumentIsValidOpenApi() {
    assertEquals(List.of(), contract().complaints(), "the validator's complaints");
  }

  private record Sample(
      String method, String template, Function<RequestSpecification, Response> send) {}

  @Test
  void everyAnswerIsDocumentedAndMatchesItsSchema() {
    OpenApiContract contract = contract();
    String unknown = "0123456789ABCDEF0123456789ABCDEF";
    List<Sample> samples = new ArrayList<>();
    samples.add(new Sample("get", "/api/overview", r -> r.get("/api/overview")));
    samples.add(new Sample("get", "/api/workers", r -> r.get("/api/workers")));
    for (String query : List.of("", "?status=failed", "?status=bogus")) {
      samples.add(new Sample("get", "/api/jobs", r -> r.get("/api/jobs" + query)));
    }
    String requeue = "/api/jobs/{id}/requeue";
    samples.add(new Sample("post", requeue, r -> r.post("/api/jobs/" + unknown + "/requeue")));
    samples.add(
        new Sample(
            "post",
            requeue,
            r -> r.header("Authorization", TOKEN).post("/api/jobs/" + unknown + "/requeue")));
    samples.add(
        new Sample(
            "post",
            requeue,
            r ->
                r.header("Authorization", "Bearer wrong")
                    .post("/api/jobs/" + unknown + "/requeue")));
    samples.add(
        new Sample(
            "delete",
            "/api/jobs/{id}",
            r -> r.header("Authorization", TOKEN).delete("/api/jobs/" + unknown)));
    String worker = "/api/workers/{name}/{action}";
    samples.add(new Sample("post", worker, r -> r.post("/api/workers/nobody/pause")));
    samples.add(
        new Sample(
            "post",
            worker,
            r -> r.header("Authorization", TOKEN).post("/api/workers/nobody/drain")));
    Set<Integer> seen = new TreeSet<>();
    for (Sample sample : samples) {
      Response answer = sample.send().apply(given());
      seen.add(answer.statusCode());
      assertEquals(
          List.of(),
          contract.check(
              sample.method(), sample.template(), answer.statusCode(), answer.asString()),
          sample.method()
              + " "
              + sample.template()
              + " → "
              + answer.statusCode()
              + ": "
              + answer.asString());
    }
    assertTrue(seen.containsAll(List.of(200, 400, 401, 404, 409)), "statuses seen: " + seen);
  }
}
