package dev.conveyor.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.conveyor.core.JobSpec;
import dev.conveyor.core.NotifyUrl;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a work request body, {@code {"data":"<string>"}} with the optional {@code type}, {@code
 * priority}, one of {@code delay} or {@code run_at}, and {@code notify_url}, and refuses anything
 * else with a message that names the rule and the fix. It runs before any Redis call, so bad input
 * never touches stored data. Other fields are ignored, as in the seed; a field given as {@code
 * null} counts as absent.
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

  /** How far ahead a job may be scheduled. */
  static final Duration MAX_AHEAD = Duration.ofDays(30);

  private static final Pattern DELAY = Pattern.compile("([0-9]{1,10})(ms|s|m|h|d)");

  private WorkRequestParser() {}

  /** A valid request: its data, what else it asks for, and its delay and run_at as given. */
  record WorkRequest(String data, JobSpec spec, String delay, String runAt) {}

  /** The {@code data} string of a valid request (one with no notify_url). */
  static String data(byte[] body) {
    return parse(body, Instant.now(), Set.of()).data();
  }

  /**
   * A valid request, {@code now} being the time a {@code run_at} must be after and {@code
   * notifyHosts} the hosts a notify_url may name (NOTIFY_ALLOWED_HOSTS; empty: none).
   */
  static WorkRequest parse(byte[] body, Instant now, Set<String> notifyHosts) {
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
    if (root.size() == 1) {
      return new WorkRequest(text, JobSpec.PLAIN, null, null); // the seed's request: the hot path
    }
    String type = text(root, "type");
    if (type != null && !JobSpec.TYPE_RULE.matcher(type).matches()) {
      throw new InvalidWorkException(
          400,
          "type must be a lowercase word of at most 64 characters matching "
              + JobSpec.TYPE_RULE
              + " (such as \"checksum\"), got \""
              + shorten(type)
              + "\"");
    }
    String priority = text(root, "priority");
    if (priority != null && !JobSpec.PRIORITIES.contains(priority)) {
      throw new InvalidWorkException(
          400,
          "priority must be \"high\", \"normal\" or \"low\", got \"" + shorten(priority) + "\"");
    }
    String delay = text(root, "delay");
    String runAt = text(root, "run_at");
    if (delay != null && runAt != null) {
      throw new InvalidWorkException(
          400, "delay and run_at cannot both be given: give one, or neither to run it now");
    }
    Long delayMillis = delay == null ? null : delayMillis(delay);
    Long runAtMillis = runAt == null ? null : runAtMillis(runAt, now);
    String notifyUrl = text(root, "notify_url");
    if (notifyUrl != null) {
      NotifyUrl.refusal(notifyUrl, notifyHosts)
          .ifPresent(
              why -> {
                throw new InvalidWorkException(400, why);
              });
    }
    return new WorkRequest(
        text, new JobSpec(type, priority, delayMillis, runAtMillis, notifyUrl), delay, runAt);
  }

  /** A field's text, null when absent or null; 400 when it is no string. */
  private static String text(JsonNode root, String field) {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new InvalidWorkException(
          400,
          field + " must be a JSON string, got " + kind(value) + ": " + EXPECTED_OF.get(field));
    }
    return value.textValue();
  }

  private static final Map<String, String> EXPECTED_OF =
      Map.of(
          "type", "a handler's type such as \"checksum\"",
          "priority", "\"high\", \"normal\" or \"low\"",
          "delay", "a duration such as \"30s\", \"5m\" or \"2h\"",
          "run_at", "an ISO-8601 instant such as \"2026-12-24T18:00:00Z\"",
          "notify_url", "an http(s) URL such as \"https://example.com/hook\"");

  private static long delayMillis(String delay) {
    Matcher m = DELAY.matcher(delay);
    if (!m.matches()) {
      throw new InvalidWorkException(
          400,
          "delay must be a whole number and a unit (ms, s, m, h or d), such as \"30s\", \"5m\""
              + " or \"2h\"; got \""
              + shorten(delay)
              + "\"");
    }
    long amount = Long.parseLong(m.group(1));
    Duration duration =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          case "m" -> Duration.ofMinutes(Math.min(amount, MAX_AHEAD.toMinutes() + 1));
          case "h" -> Duration.ofHours(Math.min(amount, MAX_AHEAD.toHours() + 1));
          default -> Duration.ofDays(Math.min(amount, MAX_AHEAD.toDays() + 1));
        };
    if (duration.compareTo(MAX_AHEAD) > 0) {
      throw new InvalidWorkException(
          400, "delay must be at most 30 days (\"30d\"), got \"" + delay + "\"");
    }
    return duration.toMillis();
  }

  /**
   * A GET's {@code wait} (such as {@code 30s}): how long to hold the answer, at most {@code max} (a
   * longer wait is held for {@code max}: the answer then shows the job as it is, and the client
   * asks again, as it would after any wait that ran out).
   */
  static Duration waitOf(String wait, Duration max) {
    Matcher m = DELAY.matcher(wait);
    if (!m.matches()) {
      throw new InvalidWorkException(
          400,
          "wait must be a whole number and a unit (ms, s or m), such as \"30s\"; got \""
              + shorten(wait)
              + "\"");
    }
    long amount = Math.min(Long.parseLong(m.group(1)), max.toMillis());
    Duration duration =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          case "m" -> Duration.ofMinutes(amount);
          case "h" -> Duration.ofHours(amount);
          default -> Duration.ofDays(amount);
        };
    return duration.compareTo(max) > 0 ? max : duration;
  }

  private static long runAtMillis(String runAt, Instant now) {
    Instant at;
    try {
      at = Instant.parse(runAt);
    } catch (DateTimeParseException e) {
      throw new InvalidWorkException(
          400,
          "run_at must be an ISO-8601 instant with a zone, such as \"2026-12-24T18:00:00Z\"; got"
              + " \""
              + shorten(runAt)
              + "\"");
    }
    if (at.isBefore(now)) {
      throw new InvalidWorkException(
          400,
          "run_at " + runAt + " is in the past: give a later time, or leave it out to run now");
    }
    if (at.isAfter(now.plus(MAX_AHEAD))) {
      throw new InvalidWorkException(400, "run_at must be at most 30 days ahead, got " + runAt);
    }
    return at.toEpochMilli();
  }

  /** Echoed input, cut short so an error stays small. */
  private static String shorten(String text) {
    return text.length() > 80 ? text.substring(0, 80) + "…" : text;
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
