package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conveyor.testkit.RedisExtension;
import dev.conveyor.testkit.TestRedis;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The webhook outbox against a real Redis: a job with notify URLs owes one delivery per URL when it
 * becomes final (worked, failed, cancelled, or failed as a poison pill), whoever submitted it;
 * deliveries are taken under a lease and settled delivered, retried or given up.
 */
@ExtendWith(RedisExtension.class)
class WebhookOutboxContractTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final String A = "http://hooks.test/a";
  private static final String B = "https://hooks.test/b?x=1,2";

  private static Store store(TestRedis redis) {
    return new Store(redis.client(), new RedisKeys(redis.prefix()), TIMEOUT);
  }

  private static <T> T await(Uni<T> uni) {
    return uni.await().atMost(Duration.ofSeconds(5));
  }

  private static JobQueue.Work work(String data, String url) {
    return new JobQueue.Work(CallbackId.of(data), data, new JobSpec(null, null, null, null, url));
  }

  private static ClaimedJob claim(JobQueue queue) {
    return await(queue.claimOne(JobSpec.DEFAULT_TYPE, "w1", "lease-" + System.nanoTime()))
        .orElseThrow();
  }

  private static Set<String> urls(List<WebhookOutbox.Delivery> taken) {
    return taken.stream().map(WebhookOutbox.Delivery::url).collect(Collectors.toSet());
  }

  @Test
  void eachSubmittersUrlIsCalledOnceWhenTheJobIsWorked(TestRedis redis) {
    Store store = store(redis);
    JobQueue queue = store.queue();
    await(queue.submit(work("x", A), "api"));
    await(queue.submit(work("x", B), "api")); // another submitter, another URL
    await(queue.submit(work("x", A), "api")); // the same URL again: called once
    await(queue.submit(work("x", null), "api"));
    assertEquals(List.of(), await(store.webhooks().take(Duration.ofSeconds(30), 10)), "not yet");
    await(queue.complete(claim(queue), "w1", "{\"n\":1}", TTL));
    List<WebhookOutbox.Delivery> taken = await(store.webhooks().take(Duration.ofSeconds(30), 10));
    assertEquals(Set.of(A, B), urls(taken));
    WebhookOutbox.Delivery first = taken.getFirst();
    assertEquals(CallbackId.of("x"), first.id());
    assertEquals(0, first.attempts());
    assertTrue(first.fieldsJson().contains("\"status\":\"worked\""), first.fieldsJson());
    assertTrue(first.fieldsJson().contains("\"result\":\"{\\\"n\\\":1}\""), first.fieldsJson());
    assertFalse(first.fieldsJson().contains("\"data\""), "the data is not sent back");
    assertEquals(
        List.of(), await(store.webhooks().take(Duration.ofSeconds(30), 10)), "held by a lease");
    for (WebhookOutbox.Delivery d : taken) {
      assertTrue(await(store.webhooks().delivered(d)));
      assertFalse(await(store.webhooks().delivered(d)), "settled once");
    }
    assertEquals(0L, await(store.webhooks().pending()));
    assertEquals("2", redis.call("HGET", queue.keys().stats(), "webhooks_delivered").toString());
  }

  @Test
  void aUrlGivenForAJobWorkedAlreadyIsCalledAtOnce(TestRedis redis) {
    Store store = store(redis);
    JobQueue queue = store.queue();
    await(queue.submit(work("y", null), "api"));
    await(queue.complete(claim(queue), "w1", "{}", TTL));
    await(queue.submit(work("y", A), "api"));
    assertEquals(Set.of(A), urls(await(store.webhooks().take(Duration.ofSeconds(30), 10))));
  }

  @Test
  void aFailedACancelledAndAPoisonedJobAreCalledBackToo(TestRedis redis) {
    Store store = store(redis);
    JobQueue queue = store.queue();
    RetryPolicy once = new RetryPolicy(1, Duration.ZERO, Duration.ofMinutes(1), 100, 1);
    await(queue.submit(work("fails", A), "api"));
    await(queue.fail(claim(queue), "w1", "boom", once));
    await(queue.submit(work("cancelled", A), "api"));
    await(queue.cancel(CallbackId.of("cancelled"), TTL));
    await(queue.submit(work("poison", A), "api"));
    claim(queue);
    await(store.recovery().retire("w1", once)); // lost once: a poison pill under this policy
    List<WebhookOutbox.Delivery> taken = await(store.webhooks().take(Duration.ofSeconds(30), 10));
    assertEquals(3, taken.size());
    Set<String> statuses =
        taken.stream()
            .map(d -> d.fieldsJson().replaceAll(".*\"status\":\"([a-z]+)\".*", "$1"))
            .collect(Collectors.toSet());
    assertEquals(Set.of("failed", "cancelled"), statuses);
  }

  @Test
  void aDeliveryIsRetriedWithItsAttemptsCountedThenGivenUpAndListed(TestRedis redis) {
    Store store = store(redis);
    JobQueue queue = store.queue();
    await(queue.submit(work("z", A), "api"));
    await(queue.complete(claim(queue), "w1", "{}", TTL));
    WebhookOutbox.Delivery d = await(store.webhooks().take(Duration.ofSeconds(30), 10)).getFirst();
    assertTrue(await(store.webhooks().retry(d, Duration.ofMillis(200), "HTTP 500")));
    assertEquals(List.of(), await(store.webhooks().take(Duration.ofSeconds(30), 10)), "backoff");
    WebhookOutbox.Delivery again =
        Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () -> await(store.webhooks().take(Duration.ofSeconds(30), 10)), l -> !l.isEmpty())
            .getFirst();
    assertEquals(1, again.attempts());
    assertEquals(d.fieldsJson(), again.fieldsJson());
    assertTrue(await(store.webhooks().giveUp(again, "connection refused")));
    assertEquals(0L, await(store.webhooks().pending()));
    String entry = await(store.webhooks().undelivered(10)).getFirst();
    assertTrue(entry.contains("\"url\":\"http:\\/\\/hooks.test\\/a\"") || entry.contains(A), entry);
    assertTrue(entry.contains("\"attempts\":2"), entry);
    assertTrue(entry.contains("connection refused"), entry);
  }

  @Test
  void aDeliveryWhoseTakerDiedIsDueAgainAfterTheLease(TestRedis redis) {
    Store store = store(redis);
    JobQueue queue = store.queue();
    await(queue.submit(work("lost", A), "api"));
    await(queue.complete(claim(queue), "w1", "{}", TTL));
    assertEquals(1, await(store.webhooks().take(Duration.ofMillis(200), 10)).size());
    List<WebhookOutbox.Delivery> again =
        Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () -> await(store.webhooks().take(Duration.ofSeconds(30), 10)), l -> !l.isEmpty());
    assertEquals(Set.of(A), urls(again));
  }
}
