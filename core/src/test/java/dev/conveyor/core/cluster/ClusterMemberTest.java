package dev.conveyor.core.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.ClusterDirectory;
import dev.conveyor.core.RedisKeys;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Real JGroups channels on loopback, discovering each other through a real Redis. */
@ExtendWith(RedisExtension.class)
class ClusterMemberTest {

  private static final String SECRET = "correct horse battery staple";

  private final List<ClusterMember> started = new ArrayList<>();

  @AfterEach
  void leave() {
    started.forEach(ClusterMember::close);
  }

  /** Cluster {@code test} on loopback, any free port, a beat a second. */
  private static ClusterSettings settings(String secret) {
    return new ClusterSettings(
        "test",
        "127.0.0.1",
        0,
        Optional.empty(),
        0,
        Optional.ofNullable(secret),
        Duration.ofSeconds(1));
  }

  private static ClusterDirectory directory(TestRedis redis) {
    return new ClusterDirectory(
        redis.client(), new RedisKeys(redis.prefix()), Duration.ofSeconds(2));
  }

  private ClusterMember member(TestRedis redis, String name, String secret) {
    ClusterMember member =
        new ClusterMember(
            settings(secret),
            directory(redis),
            name,
            request -> Map.of("name", name, "asked", request));
    started.add(member);
    return member;
  }

  @Test
  void theFailureDetectorListensOnlyWhereTheClusterBinds(TestRedis redis) throws Exception {
    List<org.jgroups.stack.Protocol> protocols =
        ClusterStack.protocols(settings(SECRET), directory(redis));
    org.jgroups.protocols.FD_SOCK2 detector =
        protocols.stream()
            .filter(p -> p instanceof org.jgroups.protocols.FD_SOCK2)
            .map(p -> (org.jgroups.protocols.FD_SOCK2) p)
            .findFirst()
            .orElseThrow();
    try (org.jgroups.JChannel channel = new org.jgroups.JChannel(protocols).name("fd-test")) {
      channel.connect("fd-test");
      int port = detector.getActualBindPort();
      // the kernel's own tables of listening sockets: address and port in hex, 0A = LISTEN; Java's
      // dual-stack sockets are in tcp6, 127.0.0.1 as ::ffff:127.0.0.1
      List<String> lines = new ArrayList<>();
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        lines.addAll(java.nio.file.Files.readAllLines(java.nio.file.Path.of(table)));
      }
      String listening =
          lines.stream()
              .map(String::trim)
              .map(line -> line.split("\\s+"))
              .filter(f -> f.length > 3 && f[3].equals("0A"))
              .map(f -> f[1])
              .filter(local -> local.endsWith(String.format(":%04X", port)))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no socket listens on port " + port));
      String loopback = listening.substring(0, listening.indexOf(':'));
      assertTrue(
          loopback.equals("0100007F") || loopback.equals("0000000000000000FFFF00000100007F"),
          "listens on 127.0.0.1, not on every interface: " + listening);
    }
  }

  private static List<String> sorted(List<String> names) {
    return names.stream().sorted().toList();
  }

  @RepeatedTest(3)
  void threeMembersStartedAtTheSameInstantFormOneViewWithinTenSeconds(TestRedis redis)
      throws Exception {
    List<ClusterMember> members =
        List.of(member(redis, "a", SECRET), member(redis, "b", SECRET), member(redis, "c", SECRET));
    CountDownLatch go = new CountDownLatch(1);
    long start = System.nanoTime();
    List<CompletableFuture<Void>> joins = new ArrayList<>();
    for (ClusterMember m : members) {
      joins.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  go.await();
                  m.join();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    go.countDown();
    CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    Awaitility.await()
        .atMost(Duration.ofNanos(Duration.ofSeconds(10).toNanos() - (System.nanoTime() - start)))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                members.stream().allMatch(m -> sorted(m.members()).equals(List.of("a", "b", "c"))));
    System.out.printf(
        "three members formed one view in %d ms%n", (System.nanoTime() - start) / 1_000_000);
    long coordinators = members.stream().filter(ClusterMember::isCoordinator).count();
    assertEquals(1, coordinators);
  }

  @Test
  void membersAnswerRequestsAndTheirRoundTripIsMeasured(TestRedis redis) throws Exception {
    ClusterMember a = member(redis, "a", SECRET);
    ClusterMember b = member(redis, "b", SECRET);
    a.join();
    b.join();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.members().size() == 2);

    List<ClusterMember.Reply> replies =
        a.ask(Duties.STATS, Optional.empty(), Duration.ofSeconds(2));
    assertEquals(
        List.of("a", "b"), replies.stream().map(ClusterMember.Reply::member).sorted().toList());
    for (ClusterMember.Reply reply : replies) {
      assertTrue(reply.ok(), reply.toString());
      assertEquals(reply.member(), reply.fields().get("name"));
      assertEquals(Duties.STATS, reply.fields().get("asked"));
    }
    ClusterMember.Reply ping =
        a.ask(Duties.PING, Optional.of("b"), Duration.ofSeconds(2)).getFirst();
    assertEquals("b", ping.member());
    assertTrue(ping.ok());
    assertTrue(
        ping.rtt().compareTo(Duration.ZERO) > 0 && ping.rtt().compareTo(Duration.ofSeconds(2)) < 0);
    assertThrows(
        IllegalArgumentException.class,
        () -> a.ask(Duties.PING, Optional.of("nobody"), Duration.ofSeconds(1)));
  }

  @Test
  void aNodeWithTheWrongSecretIsRefusedWhileTheClusterCarriesOn(TestRedis redis) throws Exception {
    ClusterMember a = member(redis, "a", SECRET);
    ClusterMember b = member(redis, "b", SECRET);
    a.join();
    b.join();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.members().size() == 2);

    SecurityException refused =
        assertThrows(SecurityException.class, () -> member(redis, "intruder", "guess").join());
    assertTrue(refused.getMessage().contains("CLUSTER_SECRET"), refused.getMessage());
    SecurityException noSecret =
        assertThrows(SecurityException.class, () -> member(redis, "anonymous", null).join());
    assertTrue(noSecret.getMessage().contains("refused"), noSecret.getMessage());

    assertEquals(List.of("a", "b"), sorted(a.members()));
    assertTrue(a.ask(Duties.PING, Optional.of("b"), Duration.ofSeconds(2)).getFirst().ok());
    ClusterMember c = member(redis, "c", SECRET);
    c.join();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> sorted(a.members()).equals(List.of("a", "b", "c")));
  }

  @Test
  void whenTheCoordinatorLeavesTheNextMemberTakesOver(TestRedis redis) throws Exception {
    ClusterMember a = member(redis, "a", SECRET);
    a.join();
    ClusterMember b = member(redis, "b", SECRET);
    b.join();
    ClusterMember c = member(redis, "c", SECRET);
    c.join();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> c.members().size() == 3);
    assertTrue(a.isCoordinator());
    assertFalse(b.isCoordinator());

    a.close();
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> b.members().equals(List.of("b", "c")) && b.isCoordinator());
    assertEquals(Optional.of("b"), c.coordinator());
  }

  @Test
  void twoClustersOfTheSameNameMergeWithinFiveSeconds(TestRedis redis) throws Exception {
    ClusterMember a = member(redis, "a", SECRET);
    a.join();
    // hide a's record, so b founds a cluster of its own: a split, as after a partition heals
    RedisKeys keys = new RedisKeys(redis.prefix());
    redis.call("DEL", keys.clusterAddresses("test"), keys.clusterExpiry("test"));
    ClusterMember b = member(redis, "b", SECRET);
    b.join();
    assertEquals(List.of("b"), b.members());
    long split = System.nanoTime();

    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> a.members().size() == 2 && b.members().size() == 2);
    System.out.printf("split view merged in %d ms%n", (System.nanoTime() - split) / 1_000_000);
  }
}
