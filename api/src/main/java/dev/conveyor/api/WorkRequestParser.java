package dev.conveyor.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Locale;

/**
 * Reads a work request body, {@code {"data":"<string>"}}, and refuses anything else with a message
 * that names the rule and the fix. It runs before any Redis call, so bad input never touches stored
 * data. Other fields are ignored, as in the seed.
 */
final class WorkRequestParser {

  /** Deeper than any honest request; bounds the parser's work on hostile nesting. */
  private static final int MAX_NESTING = 64;

  private static final String EXPECTED = "expected a JSON object like {\"data\":\"<string>\"}";

  private static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private WorkRequestParser() {}

  /** The {@code data} string of a valid request. */
  static String data(byte[] body) {
    if (body == null || body.length == 0 || isBlank(body)) {
      throw new InvalidWorkException(400, "request body is empty: " + EXPECTED);
    }
    JsonNode root;
    try (JsonParser parser = MAPPER.createParser(body)) {
      root = MAPPER.readTree(parser);
      if (parser.nextToken() != null) {
        throw new InvalidWorkException(
            400, "request body has content after the JSON value: " + EXPECTED);
      }
    } catch (IOException e) {
      throw new InvalidWorkException(400, "request body is not valid JSON: " + EXPECTED);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidWorkException(
          400, "request body must be a JSON object, got " + kind(root) + ": " + EXPECTED);
    }
    JsonNode data = root.get("data");
    if (data == null) {
      throw new InvalidWorkException(400, "field data is missing: " + EXPECTED);
    }
    if (!data.isTextual()) {
      throw new InvalidWorkException(
          400, "data must be a JSON string, got " + kind(data) + ": " + EXPECTED);
    }
    String text = data.textValue();
    if (hasLoneSurrogate(text)) {
      // its UTF-8 bytes, and so its callback id, would not be defined
      throw new InvalidWorkException(
          400, "data must be valid Unicode text: it has an unpaired surrogate escape");
    }
    return text;
  }

  private static boolean isBlank(byte[] body) {
    for (byte b : body) {
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return true;
  }

  private static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case STRING -> "a string";
      default -> "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }

  private static boolean hasLoneSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
