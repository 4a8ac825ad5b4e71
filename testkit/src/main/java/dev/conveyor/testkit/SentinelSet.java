package dev.conveyor.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Redis master set watched by Sentinel, as real processes on loopback: one primary, {@code
 * replicas} replicas of it and three sentinels (quorum 2) that fail over one second after the
 * primary stops answering. Every process is a child of this one, and only those are ever killed.
 * {@link #url()} is what REDIS_URL lists with REDIS_CLIENT_TYPE=sentinel; the set is named {@link
 * #MASTER_NAME}.
 */
public final class SentinelSet implements AutoCloseable {

  public static final String MASTER_NAME = "conveyor";
  private static final Duration START_LIMIT = Duration.ofSeconds(20);

  private final Path dir;
  private final List<Node> servers = new ArrayList<>();
  private final List<Node> sentinels = new ArrayList<>();

  /** One redis-server or redis-sentinel child process. */
  public record Node(int port, Process process, Path log) {
    public boolean alive() {
      return process.isAlive();
    }
  }

  private SentinelSet(Path dir) {
    this.dir = dir;
  }

  /** Starts the primary, its replicas (in sync before this returns) and three sentinels. */
  public static SentinelSet start(int replicas) throws IOException {
    SentinelSet set = new SentinelSet(Files.createTempDirectory("conveyor-sentinel-"));
    try {
      Node primary = set.startServer(null);
      for (int i = 0; i < replicas; i++) {
        set.startServer(primary.port());
      }
      set.awaitReplicas(primary.port(), replicas);
      for (int i = 0; i < 3; i++) {
        set.sentinel(primary.port());
      }
      set.awaitSentinelsAgree(replicas);
      return set;
    } catch (IOException | RuntimeException e) {
      set.close();
      throw e;
    }
  }

  private Node startServer(Integer replicaOf) throws IOException {
    int port = RedisServers.freePort();
    Path data = Files.createDirectories(dir.resolve("redis-" + port));
    List<String> command =
        new ArrayList<>(
            RedisServers.serverCommand(
                RedisServers.requireRedisBinary(), port, data, "everysec", "--loglevel", "notice"));
    if (replicaOf != null) {
      command.addAll(List.of("--replicaof", "127.0.0.1", replicaOf.toString()));
    }
    Node node = launch(command, port, data.resolve("redis.log"));
    servers.add(node);
    await("redis-server on " + port, () -> RedisServers.answersPing(port, null), node);
    return node;
  }

  private void sentinel(int primaryPort) throws IOException {
    int port = RedisServers.freePort();
    Path conf = dir.resolve("sentinel-" + port + ".conf");
    Path log = dir.resolve("sentinel-" + port + ".log");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "port " + port,
            "bind 127.0.0.1",
            "daemonize no",
            "logfile " + log,
            "dir " + dir,
            "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + primaryPort + " 2",
            "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
            "sentinel failover-timeout " + MASTER_NAME + " 5000",
            "sentinel parallel-syncs " + MASTER_NAME + " 1",
            ""));
    // redis-sentinel is redis-server in sentinel mode (Debian's package is a link to it)
    Node node =
        launch(
            List.of(RedisServers.requireRedisBinary().toString(), conf.toString(), "--sentinel"),
            port,
            log);
    sentinels.add(node);
    await("redis-sentinel on " + port, () -> RedisServers.answersPing(port, null), node);
  }

  private static Node launch(List<String> command, int port, Path log) throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    return new Node(port, process, log);
  }

  /** REDIS_URL for REDIS_CLIENT_TYPE=sentinel: every sentinel, comma-separated. */
  public String url() {
    return sentinels.stream()
        .map(s -> "redis://127.0.0.1:" + s.port())
        .collect(Collectors.joining(","));
  }

  /** The redis-server processes, the first started as the primary. */
  public List<Node> servers() {
    return List.copyOf(servers);
  }

  /** The port of the master the sentinels name now. */
  public int masterPort() throws IOException {
    for (Node sentinel : sentinels) {
      if (!sentinel.alive()) {
        continue;
      }
      List<String> reply =
          command(sentinel.port(), "SENTINEL", "get-master-addr-by-name", MASTER_NAME);
      if (reply.size() == 2) {
        return Integer.parseInt(reply.get(1));
      }
    }
    throw new IOException("no sentinel names a master");
  }

  /** The server on {@code port}. */
  public Node server(int port) {
    return servers.stream()
        .filter(n -> n.port() == port)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no server of this set on " + port));
  }

  /** SIGKILL of one redis-server of this set: no shutdown, no last write to its AOF. */
  public void kill(int port) throws InterruptedException {
    Process process = server(port).process();
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Waits until the sentinels name a master other than {@code oldPort} and it takes writes. */
  public int awaitFailoverFrom(int oldPort, Duration limit) throws IOException {
    Instant deadline = Instant.now().plus(limit);
    while (Instant.now().isBefore(deadline)) {
      try {
        int port = masterPort();
        if (port != oldPort
            && command(port, "ROLE").stream().findFirst().orElse("").equals("master")) {
          return port;
        }
      } catch (IOException e) {
        // a sentinel busy electing, or a server not yet switched: ask again
      }
      sleep(100);
    }
    throw new IOException("no failover from " + oldPort + " within " + limit + ": " + logs());
  }

  /** Each process's last log lines, for a failure's message. */
  public String logs() {
    Map<String, String> tails = new TreeMap<>();
    for (Node node : servers) {
      tails.put("redis-" + node.port(), tail(node.log()));
    }
    for (Node node : sentinels) {
      tails.put("sentinel-" + node.port(), tail(node.log()));
    }
    return tails.toString();
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 6), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private void awaitReplicas(int primaryPort, int replicas) throws IOException {
    Node primary = server(primaryPort);
    await(
        replicas + " replicas in sync with " + primaryPort,
        () -> {
          List<String> info = command(primaryPort, "INFO", "replication");
          String text = String.join("\n", info);
          return text.contains("connected_slaves:" + replicas)
              && text.lines().filter(l -> l.contains("state=online")).count() == replicas;
        },
        primary);
  }

  private void awaitSentinelsAgree(int replicas) throws IOException {
    for (Node sentinel : sentinels) {
      await(
          "sentinel " + sentinel.port() + " knows the set",
          () -> {
            List<String> reply = command(sentinel.port(), "SENTINEL", "sentinels", MASTER_NAME);
            List<String> seen = command(sentinel.port(), "SENTINEL", "replicas", MASTER_NAME);
            // the other two sentinels and every replica, found through the primary
            return reply.stream().filter(s -> s.equals("name")).count() == 2
                && seen.stream().filter(s -> s.equals("name")).count() == replicas;
          },
          sentinel);
    }
  }

  private interface Check {
    boolean holds() throws IOException;
  }

  private void await(String what, Check check, Node node) throws IOException {
    Instant deadline = Instant.now().plus(START_LIMIT);
    while (Instant.now().isBefore(deadline)) {
      if (!node.alive()) {
        throw new IllegalStateException(what + ": the process exited: " + tail(node.log()));
      }
      try {
        if (check.holds()) {
          return;
        }
      } catch (IOException e) {
        // not answering yet
      }
      sleep(50);
    }
    throw new IllegalStateException(what + ": not within " + START_LIMIT + ": " + logs());
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms); // polling processes: there is no event to wait on
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * One command over RESP on a fresh connection; the reply flattened to its strings (an array's
   * elements, nested arrays included; a bulk string's lines for INFO).
   */
  public static List<String> command(int port, String... args) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(2000);
      StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
      for (String arg : args) {
        byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
        request.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
      }
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
      List<String> out = new ArrayList<>();
      Resp.read(new java.io.DataInputStream(socket.getInputStream()), out);
      return out;
    }
  }

  @Override
  public void close() {
    for (Node node : sentinels) {
      node.process().destroyForcibly();
    }
    for (Node node : servers) {
      node.process().destroyForcibly();
    }
    for (Node node : sentinels) {
      waitQuietly(node.process());
    }
    for (Node node : servers) {
      waitQuietly(node.process());
    }
  }

  private static void waitQuietly(Process process) {
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The few RESP replies the commands above get. */
  private static final class Resp {
    static void read(java.io.DataInputStream in, List<String> out) throws IOException {
      String line = line(in);
      char kind = line.charAt(0);
      String rest = line.substring(1);
      switch (kind) {
        case '+', ':' -> out.add(rest);
        case '-' -> throw new IOException(rest);
        case '$' -> {
          int length = Integer.parseInt(rest);
          if (length >= 0) {
            byte[] bytes = in.readNBytes(length + 2);
            String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
            out.addAll(List.of(text.split("\r\n")));
          }
        }
        case '*' -> {
          int count = Integer.parseInt(rest);
          for (int i = 0; i < count; i++) {
            read(in, out);
          }
        }
        default -> throw new IOException("unexpected reply: " + line);
      }
    }

    private static String line(java.io.DataInputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      int b;
      while ((b = in.read()) != -1) {
        if (b == '\r') {
          in.read(); // '\n'
          return line.toString();
        }
        line.append((char) b);
      }
      throw new IOException("closed");
    }
  }
}
