package dev.conveyor.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RedisServer;
import dev.conveyor.testkit.RedisServers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Through the balancer only the API is public (issue 20, point 10): metrics, health and OpenAPI
 * answer a JSON 404 there, however the path is dressed up, and stay on the api's own port; the
 * balancer's own health is {@code /lb/health}.
 */
class PublicSurfaceIT {

  @Test
  void theBalancerServesTheApiAndAJson404ForEverythingElse() throws Exception {
    try (RedisServer redis = RedisServers.start();
        Service api =
            Service.start("api", RedisServers.freePort(), Map.of("REDIS_URL", redis.url()));
        Haproxy lb = Haproxy.start(RedisServers.freePort(), List.of(api.port()))) {
      Endpoint through = Endpoint.at(lb.port());
      assertEquals(200, through.get("/lb/health").statusCode());
      assertEquals(200, through.post("/api/v1/work", "{\"data\":\"public\"}").statusCode());
      for (String path :
          List.of(
              "/q/metrics",
              "/q/openapi",
              "/q/swagger-ui",
              "/q/health/ready",
              "/",
              "/api/../q/metrics",
              "/api/v1/../../q/metrics",
              "/api/%2e%2e/q/metrics",
              "/api/%2E%2E%2fq/metrics",
              "/api//../q/metrics",
              "/api/./../q/openapi",
              "/api/..")) {
        String answer = raw(lb.port(), "GET " + path);
        assertTrue(answer.startsWith("HTTP/1.1 404"), path + ": " + answer);
        assertTrue(answer.contains("application/json"), path + ": " + answer);
        assertTrue(answer.contains("\"error\":\"no such resource"), path + ": " + answer);
      }
      // the api's own port keeps them, for Prometheus, the balancer's checks and operators
      HttpResponse<String> metrics = api.get("/q/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("conveyor_jobs_accepted_total"));
      assertEquals(200, api.get("/q/openapi").statusCode());
    }
  }

  /** One request line sent as is (HTTP clients normalize dot segments before sending). */
  private static String raw(int port, String requestLine) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          (requestLine + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
