package dev.conveyor.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides how tests get a real Redis: a Testcontainers container where a Docker engine answers,
 * otherwise a {@code redis-server} process from PATH on a free loopback port. {@code
 * CONVEYOR_TEST_REDIS=process|container} forces one. With neither, it fails with the fix.
 */
public final class RedisServers {

  /** The image used where Docker exists: the Redis major version the compose file runs. */
  static final String IMAGE = "redis:7.2-alpine";

  private RedisServers() {}

  /** A new, private Redis with AOF on (so a restart keeps accepted work), no password. */
  public static RedisServer start() {
    return start(null);
  }

  /** A new, private Redis that requires {@code password} (null for none). */
  public static RedisServer start(String password) {
    String forced =
        Optional.ofNullable(System.getenv("CONVEYOR_TEST_REDIS"))
            .orElse("")
            .toLowerCase(Locale.ROOT);
    return switch (forced) {
      case "process" -> ProcessRedisServer.start(requireRedisBinary(), password);
      case "container" -> ContainerRedisServer.start(IMAGE, password);
      case "" -> auto(password);
      default ->
          throw new IllegalStateException(
              "CONVEYOR_TEST_REDIS must be 'process' or 'container', got '" + forced + "'");
    };
  }

  private static RedisServer auto(String password) {
    if (ContainerRedisServer.dockerAvailable()) {
      return ContainerRedisServer.start(IMAGE, password);
    }
    return ProcessRedisServer.start(requireRedisBinary(), password);
  }

  /** redis-server from PATH (or the Debian location), or an error that says how to get it. */
  static Path requireRedisBinary() {
    return findOnPath("redis-server")
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "No Redis for tests: no Docker engine answers and redis-server is not on PATH."
                        + " Fix: apt-get install -y redis-server (or start a Docker engine)"));
  }

  /**
   * The command line of {@code binary} (a redis-server) on 127.0.0.1:{@code port}: its data and
   * {@code redis.log} in {@code dir}, AOF on with {@code fsync} (always, everysec), no RDB
   * snapshots, then {@code extra} arguments.
   */
  static List<String> serverCommand(
      Path binary, int port, Path dir, String fsync, String... extra) {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                binary.toString(),
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                dir.toString(),
                "--appendonly",
                "yes",
                "--appendfsync",
                fsync,
                "--save",
                "",
                "--logfile",
                dir.resolve("redis.log").toString()));
    command.addAll(List.of(extra));
    return command;
  }

  static Optional<Path> findOnPath(String binary) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin:/usr/local/bin";
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, binary);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** A loopback port nobody listens on right now. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free loopback port", e);
    }
  }

  /**
   * A free loopback port a Redis Cluster node can use: its cluster bus listens 10,000 above it, so
   * it must be 55,535 or less.
   */
  public static int freeClusterPort() {
    for (int tries = 0; tries < 1_000; tries++) {
      int port = freePort();
      if (port <= 55_535) {
        return port;
      }
    }
    throw new IllegalStateException("no free loopback port at or below 55535");
  }

  static String url(String password, int port) {
    return password == null
        ? "redis://127.0.0.1:" + port
        : "redis://:" + password + "@127.0.0.1:" + port;
  }

  /** True when a Redis on this loopback port answers PING (after AUTH, with a password). */
  static boolean answersPing(int port, String password) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      if (password != null) {
        out.write(("AUTH " + password + "\r\n").getBytes(StandardCharsets.UTF_8));
      }
      out.write("PING\r\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder reply = new StringBuilder();
      byte[] buffer = new byte[64];
      // while loading its AOF Redis answers -LOADING: that is not ready yet
      while (!reply.toString().contains("PONG") && !reply.toString().contains("-")) {
        int read = in.read(buffer);
        if (read < 0) {
          break;
        }
        reply.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
      }
      return reply.toString().contains("+PONG");
    } catch (IOException e) {
      return false;
    }
  }
}
