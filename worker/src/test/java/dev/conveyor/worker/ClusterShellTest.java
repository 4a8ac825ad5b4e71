package dev.conveyor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.core.Store;
import dev.conveyor.core.cluster.ClusterMember;
import dev.conveyor.core.cluster.ClusterSettings;
import dev.conveyor.core.cluster.Duties;
import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shell, scripted through its input, against two clustered workers and a real Redis. */
@ExtendWith(RedisExtension.class)
class ClusterShellTest {

  private record Session(int exitCode, String output) {}

  private static Session run(TestRedis redis, ClusterMember shell, String script) throws Exception {
    Store store = Workers.store(redis);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int code =
        new ClusterShell(shell, store.ledger(), store.stats(), out)
            .run(new BufferedReader(new StringReader(script)), false);
    return new Session(code, bytes.toString(StandardCharsets.UTF_8));
  }

  private static ClusterMember shell(TestRedis redis) throws Exception {
    ClusterMember shell =
        new ClusterMember(
            new ClusterSettings(
                "test",
                "127.0.0.1",
                0,
                Optional.empty(),
                0,
                Optional.of("test secret"),
                Duration.ofMillis(300)),
            Workers.store(redis).directory(),
            "shell",
            Duties.observer("shell", "shell"));
    shell.join();
    return shell;
  }

  @Test
  void aScriptedShellListsAsksAndPausesMembers(TestRedis redis) throws Exception {
    try (Workers workers = new Workers(redis)) {
      workers.startNode("a", Duration.ofMillis(300), job -> "done");
      Workers.Node b = workers.startNode("b", Duration.ofMillis(300), job -> "done");
      workers.submit("one job");
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  workers
                      .queue
                      .find(dev.conveyor.core.CallbackId.of("one job"))
                      .await()
                      .indefinitely()
                      .map(j -> j.status().wire())
                      .orElse("")
                      .equals("worked"));
      try (ClusterMember shell = shell(redis)) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> shell.members().size() == 3);
        Session session =
            run(redis, shell, "members\nledger\nqueue\nstats\nping b\npause b\n# a comment\n");
        assertEquals(0, session.exitCode(), session.output());
        String out = session.output();
        assertTrue(out.contains("a  (coordinator)"), out);
        assertTrue(out.contains("shell  (this shell)"), out);
        assertTrue(
            out.matches("(?s).*\\na\\s+worker\\s+running\\s+default\\s+0\\s+\\d\\s+0\\s.*"), out);
        assertTrue(out.contains("pending 0   delayed 0   dead 0"), out);
        assertTrue(out.contains("type default          high 0   normal 0   low 0"), out);
        assertTrue(out.contains("accepted 1   worked 1"), out);
        assertTrue(out.matches("(?s).*\\nb\\s+role=worker state=running.*"), out);
        assertTrue(out.matches("(?s).*\\nb\\s+\\d+\\.\\d\\d ms\\n.*"), out);
        assertTrue(out.matches("(?s).*\\nb\\s+paused\\n.*"), out);
        assertTrue(b.worker().paused());

        Session refused = run(redis, shell, "resume b\npause shell\nbogus\npause\n");
        assertEquals(1, refused.exitCode(), refused.output());
        assertTrue(!b.worker().paused(), "resume b ran before the failures");
        assertTrue(refused.output().contains("shell is a shell: it has no jobs"), refused.output());
        assertTrue(
            refused.output().contains("unknown command 'bogus'; type help"), refused.output());
        assertTrue(refused.output().contains("pause needs a member name"), refused.output());

        Session drained = run(redis, shell, "drain b\n");
        assertEquals(0, drained.exitCode(), drained.output());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !b.worker().running());
      }
    }
  }
}
