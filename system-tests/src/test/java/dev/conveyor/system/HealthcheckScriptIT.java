package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The images' HEALTHCHECK, {@code scripts/image/healthcheck.sh} (bash's /dev/tcp, no HTTP client),
 * run with bash as Docker runs it, against the packaged api: healthy while it is ready, unhealthy
 * while its Redis is down and again healthy after; unhealthy when nothing listens, and when a
 * server accepts and never answers (within the script's own 2 s, before Docker's timeout).
 */
class HealthcheckScriptIT {

  private static final Path SCRIPT = Path.of("..", "scripts", "image", "healthcheck.sh");

  /** The script's exit code and its output. */
  private record Check(int exit, String output) {}

  private static Check check(int port, String path) throws Exception {
    Process process =
        new ProcessBuilder("bash", SCRIPT.toString(), Integer.toString(port), path)
            .redirectErrorStream(true)
            .start();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly(); // never left behind, whatever the assertion says
      throw new AssertionError("the check did not end within 10 s");
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Check(process.exitValue(), output);
  }

  @Test
  void healthyWhileTheApiIsReadyUnhealthyWhileItsRedisIsDownHealthyAgainAfter() throws Exception {
    assertTrue(Files.exists(SCRIPT), SCRIPT.toAbsolutePath() + " exists");
    int port = RedisServers.freePort();
    try (RedisServer redis = RedisServers.start();
        Service api = Service.start("api", port, Map.of("REDIS_URL", redis.url()))) {
      Awaitility.await("healthy while ready")
          .atMost(Duration.ofSeconds(10))
          .until(() -> check(port, "/q/health/ready").exit() == 0);
      assertEquals(0, check(port, "/q/health/live").exit(), "live");
      Check missing = check(port, "/no/such/path");
      assertEquals(1, missing.exit(), missing.output());
      assertTrue(missing.output().contains("404"), missing.output());

      redis.stop();
      Awaitility.await("unhealthy while Redis is down")
          .atMost(Duration.ofSeconds(10))
          .until(() -> check(port, "/q/health/ready").exit() == 1);
      Check down = check(port, "/q/health/ready");
      assertTrue(down.output().contains("503"), down.output());

      redis.restart();
      Awaitility.await("healthy again once Redis is back")
          .atMost(Duration.ofSeconds(15))
          .until(() -> check(port, "/q/health/ready").exit() == 0);
    }
  }

  @Test
  void unhealthyWhenNothingListensOrTheServerNeverAnswers() throws Exception {
    int closed = RedisServers.freePort();
    Check refused = check(closed, "/q/health/live");
    assertEquals(1, refused.exit(), refused.output());
    assertTrue(refused.output().contains("nothing listens on " + closed), refused.output());

    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (Socket held = silent.accept()) {
                      held.getInputStream().readAllBytes(); // reads, never answers
                    } catch (IOException ignored) {
                      // closed at the end of the test
                    }
                  });
      long started = System.nanoTime();
      Check silence = check(silent.getLocalPort(), "/q/health/live");
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertEquals(1, silence.exit(), silence.output());
      assertTrue(silence.output().contains("no answer"), silence.output());
      assertTrue(tookMs < 5_000, "gave up after " + tookMs + " ms, before Docker's --timeout");
      silent.close();
      acceptor.join(5_000);
    }
  }
}
