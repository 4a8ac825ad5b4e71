package dev.conveyor.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An OpenAPI document held to what a service really answers: {@link #complaints} validates the
 * document itself (swagger-parser), {@link #check} one real answer against it — its status must be
 * listed for the operation, and its JSON body must match the schema given for that status (JSON
 * Schema 2020-12, networknt; the document's {@code #/components/...} references resolve).
 */
public final class OpenApiContract {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final JsonNode document;

  public OpenApiContract(String documentJson) {
    try {
      this.document = JSON.readTree(documentJson);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the validator finds wrong with the document (empty: valid). */
  public List<String> complaints() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result =
        new OpenAPIV3Parser().readContents(document.toString(), null, options);
    List<String> complaints = new ArrayList<>(result.getMessages());
    if (result.getOpenAPI() == null) {
      complaints.add("not an OpenAPI document");
    }
    return complaints;
  }

  /**
   * What is wrong with an answer of {@code method} on the document's path {@code template} (empty:
   * it is what the document says).
   */
  public List<String> check(String method, String template, int status, String body) {
    JsonNode operation = document.path("paths").path(template).path(method);
    if (operation.isMissingNode()) {
      return List.of("the document has no " + method + " " + template);
    }
    JsonNode response = operation.path("responses").path(Integer.toString(status));
    if (response.isMissingNode()) {
      return List.of("status " + status + " is not among the documented " + names(operation));
    }
    JsonNode schema = response.path("content").path("application/json").path("schema");
    if (schema.isMissingNode()) {
      return List.of();
    }
    Optional<JsonNode> parsed = parse(body);
    if (parsed.isEmpty()) {
      return List.of("the body is not JSON, as the document says it is: " + body);
    }
    ObjectNode root = document.deepCopy();
    root.putObject("$defs").set("answer", schema);
    root.put("$ref", "#/$defs/answer");
    List<String> errors = new ArrayList<>();
    for (ValidationMessage message :
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(root)
            .validate(parsed.get())) {
      errors.add(message.getMessage());
    }
    return errors;
  }

  private static List<String> names(JsonNode operation) {
    List<String> names = new ArrayList<>();
    operation.path("responses").fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static Optional<JsonNode> parse(String body) {
    try {
      return Optional.of(JSON.readTree(body));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
