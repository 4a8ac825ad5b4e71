package dev.conveyor.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.awaitility.Awaitility;

/** HTTP to 127.0.0.1:port, over one client shared by the whole suite (connections are reused). */
record Endpoint(int port) {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  static Endpoint at(int port) {
    return new Endpoint(port);
  }

  HttpResponse<String> get(String path) throws IOException {
    return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build());
  }

  HttpResponse<String> post(String path, String body) throws IOException {
    return send(
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/x-www-form-urlencoded") // as curl -d sends it
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  /** Polls GET until job {@code id} has {@code status} (20 s at most); its last view. */
  JsonNode awaitStatus(String id, String status) {
    JsonNode[] last = new JsonNode[1];
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              last[0] = JSON.readTree(get("/api/v1/work/" + id).body());
              return status.equals(last[0].path("status").asText());
            });
    return last[0];
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static HttpResponse<String> send(HttpRequest request) throws IOException {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
