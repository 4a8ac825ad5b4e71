package dev.conveyor.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code docker} and {@code docker compose} commands, run as processes for one compose project
 * (as an operator types them: no Docker API library, no helper containers). The engine and the
 * files are what the environment says, as for the docker CLI: {@code DOCKER_HOST}, {@code
 * DOCKER_CONFIG}, and {@code COMPOSE_FILE} (scripts/compose-test.sh sets them for a private engine
 * with stand-in images); without {@code COMPOSE_FILE}, the committed docker-compose.yml.
 */
final class Compose {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a command printed and how it ended. */
  record Result(int exitCode, String out, String err) {
    Result orThrow(List<String> command) {
      if (exitCode != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited " + exitCode + ":\n" + out + "\n" + err);
      }
      return this;
    }
  }

  private final String project;
  private final Map<String, String> env;

  Compose(String project, Map<String, String> env) {
    this.project = project;
    this.env = env;
  }

  /**
   * The project brought up from scratch ({@code down -v}, then {@code up --build -d --wait} with
   * {@code scale}, e.g. {@code "api=2"}), in the engine the environment names. Without one the
   * calling test class is skipped, except in CI ({@code CI=true}) or with {@code
   * CONVEYOR_COMPOSE_REQUIRED=1}, where that is a failure.
   */
  static Compose up(String project, Map<String, String> env, String... scale) {
    boolean required =
        "true".equalsIgnoreCase(System.getenv("CI"))
            || "1".equals(System.getenv("CONVEYOR_COMPOSE_REQUIRED"));
    boolean engine = engineAnswers();
    if (required && !engine) {
      throw new IllegalStateException(
          "no Docker engine answers (DOCKER_HOST="
              + System.getenv("DOCKER_HOST")
              + "): run this through scripts/compose-test.sh or scripts/test.sh, which start one");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(
        engine,
        "no Docker engine answers: the compose files were not run (scripts/compose-test.sh"
            + " starts one as root on Debian)");
    Compose compose = new Compose(project, env);
    compose.compose(120, "down", "-v", "--remove-orphans"); // what an interrupted run left
    List<String> up = new ArrayList<>(List.of("up", "--build", "-d"));
    for (String s : scale) {
      up.addAll(List.of("--scale", s));
    }
    up.addAll(List.of("--wait", "--wait-timeout", "180"));
    compose.compose(900, up.toArray(String[]::new));
    return compose;
  }

  /** {@code down -v}: every container, network and volume of the project gone. */
  void down() {
    compose(120, "down", "-v", "--remove-orphans");
  }

  /** True when {@code docker info} answers (an engine runs where the environment points). */
  static boolean engineAnswers() {
    try {
      return run(List.of("docker", "info"), Map.of(), null, 30).exitCode() == 0;
    } catch (RuntimeException e) {
      return false; // no docker CLI at all
    }
  }

  /** {@code docker compose -p <project> args...}; fails unless it exits 0. */
  Result compose(long timeoutSeconds, String... args) {
    return composeWithInput(null, timeoutSeconds, args);
  }

  /** As {@link #compose}, with {@code input} on its standard input. */
  Result composeWithInput(String input, long timeoutSeconds, String... args) {
    List<String> command = composeCommand(args);
    return run(command, env, input, timeoutSeconds).orThrow(command);
  }

  /** {@code docker args...} (not compose); fails unless it exits 0. */
  Result docker(long timeoutSeconds, String... args) {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    return run(command, env, null, timeoutSeconds).orThrow(command);
  }

  /** The project's containers (running or not), as {@code docker compose ps --format json}. */
  List<JsonNode> containers() {
    String out = compose(60, "ps", "--all", "--format", "json").out().trim();
    List<JsonNode> rows = new ArrayList<>();
    try {
      if (out.startsWith("[")) {
        JSON.readTree(out).forEach(rows::add);
      } else {
        for (String line : out.split("\n")) {
          if (!line.isBlank()) {
            rows.add(JSON.readTree(line));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /** The ids of the running containers of one service. */
  List<String> ids(String service) {
    String out = compose(60, "ps", "-q", service).out().trim();
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  /** One field of {@code docker inspect}, by Go template. */
  String inspect(String container, String template) {
    return docker(30, "inspect", "-f", template, container).out().trim();
  }

  private List<String> composeCommand(String... args) {
    List<String> command = new ArrayList<>(List.of("docker", "compose", "-p", project));
    if (System.getenv("COMPOSE_FILE") == null && !env.containsKey("COMPOSE_FILE")) {
      command.addAll(List.of("-f", Path.of("..", "docker-compose.yml").toString()));
    }
    command.addAll(List.of(args));
    return command;
  }

  private static Result run(
      List<String> command, Map<String, String> env, String input, long timeoutSeconds) {
    try {
      Path err = Files.createTempFile("compose", ".err");
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(err.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      CompletableFuture<String> out = read(process.getInputStream());
      try (var stdin = process.getOutputStream()) {
        if (input != null) {
          stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(
            String.join(" ", command) + " did not end in " + timeoutSeconds + " s");
      }
      String errText = Files.readString(err);
      Files.delete(err);
      return new Result(process.exitValue(), out.join(), errText);
    } catch (IOException e) {
      throw new UncheckedIOException(String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static CompletableFuture<String> read(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
