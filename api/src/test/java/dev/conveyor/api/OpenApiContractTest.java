package dev.conveyor.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.testkit.OpenApiContract;
import dev.conveyor.testkit.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The API's OpenAPI document tells the truth: it is valid OpenAPI (swagger-parser), and a sample of
 * real requests — good, bad, unknown, unauthorised — gets only answers the document lists, each
 * body matching the schema the document gives for it (JSON Schema 2020-12, networknt).
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class OpenApiContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static OpenApiContract contract() {
    return new OpenApiContract(
        given().get("/q/openapi?format=json").then().statusCode(200).extract().asString());
  }

  @Test
  void theDocumentIsValidOpenApi() {
    assertEquals(List.of(), contract().complaints(), "the validator's complaints");
  }

  /** One request of the sample: what to send, and where the document describes it. */
  private record Sample(
      String method, String template, String path, Function<RequestSpecification, Response> send) {}

  @Test
  void everyAnswerIsDocumentedAndMatchesItsSchema() throws Exception {
    OpenApiContract contract = contract();
    String data = "contract " + System.nanoTime();
    JsonNode accepted =
        JSON.readTree(given().body("{\"data\":\"" + data + "\"}").post("/api/v1/work").asString());
    String id = accepted.get("callback").asText();
    String token = accepted.get("cancel_token").asText();
    String unknown = "0123456789ABCDEF0123456789ABCDEF";
    String work = "/api/v1/work";
    String job = "/api/v1/work/{id}";
    List<Sample> samples = new ArrayList<>();
    for (String body :
        List.of(
            "{\"data\":\"" + data + "\"}",
            "{\"data\":\"typed " + data + "\",\"type\":\"checksum\",\"priority\":\"high\"}",
            "{\"data\":\"later " + data + "\",\"delay\":\"1h\"}",
            "{\"data\":1}",
            "{\"data\":\"x\",\"priority\":\"urgent\"}",
            "{\"data\":\"x\",\"delay\":\"soon\"}",
            "not json",
            "[]",
            "")) {
      samples.add(new Sample("post", work, work, r -> r.body(body).post(work)));
    }
    samples.add(new Sample("get", work, work, r -> r.get(work)));
    for (String path :
        List.of(
            work + "/" + id,
            work + "/_" + id,
            work + "/" + unknown,
            work + "/not-an-id",
            work + "/" + id + "?wait=1ms",
            work + "/" + id + "?wait=soon",
            work + "/" + id + "?wait=")) {
      samples.add(new Sample("get", job, path, r -> r.get(path)));
    }
    String cancel = work + "/" + id;
    samples.add(new Sample("delete", job, cancel, r -> r.delete(cancel)));
    samples.add(
        new Sample(
            "delete", job, cancel, r -> r.header("Authorization", "Bearer nope").delete(cancel)));
    samples.add(
        new Sample(
            "delete",
            job,
            cancel,
            r -> r.header("Authorization", "Bearer " + token).delete(cancel)));
    samples.add(
        new Sample(
            "delete",
            job,
            cancel,
            r -> r.header("Authorization", "Bearer " + token).delete(cancel)));
    String unknownJob = work + "/" + unknown;
    samples.add(
        new Sample(
            "delete",
            job,
            unknownJob,
            r -> r.header("Authorization", "Bearer " + token).delete(unknownJob)));
    String events = "/api/v1/work/{id}/events";
    samples.add(new Sample("get", events, events, r -> r.get(work + "/" + unknown + "/events")));

    Set<String> statusesSeen = new java.util.TreeSet<>();
    for (Sample sample : samples) {
      Response answer = sample.send().apply(given());
      String status = Integer.toString(answer.statusCode());
      statusesSeen.add(status);
      String what = sample.method().toUpperCase(Locale.ROOT) + " " + sample.path();
      assertEquals(
          List.of(),
          contract.check(
              sample.method(), sample.template(), answer.statusCode(), answer.asString()),
          what + " → " + status + ": " + answer.asString());
    }
    // over MAX_BODY_SIZE (announced; the body itself would race the api's closing: OversizedPost)
    dev.conveyor.testkit.RawHttp oversized = OversizedPost.send(1_100_000);
    statusesSeen.add(Integer.toString(oversized.status()));
    assertEquals(
        List.of(), contract.check("post", work, oversized.status(), oversized.body()), "413");
    // the sample reaches the answers that matter, so the checks above are not vacuous
    assertTrue(
        statusesSeen.containsAll(List.of("200", "202", "400", "401", "403", "404", "413")),
        "statuses seen: " + statusesSeen);
  }
}
