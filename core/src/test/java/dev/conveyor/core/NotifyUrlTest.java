package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NotifyUrlTest {

  private static final Set<String> ALLOWED =
      NotifyUrl.allowedHosts(" hooks.example.com, 127.0.0.1 ,");

  @Test
  void allowedHostsAreReadLowercaseWithoutBlanks() {
    assertEquals(Set.of("hooks.example.com", "127.0.0.1"), ALLOWED);
    assertEquals(Set.of(), NotifyUrl.allowedHosts(""));
  }

  @Test
  void anHttpOrHttpsUrlOfAnAllowedHostMayBeCalled() {
    for (String url :
        new String[] {
          "https://hooks.example.com/a?b=c",
          "http://HOOKS.example.com:8443/x",
          "http://127.0.0.1:9000/hook"
        }) {
      assertEquals(Optional.empty(), NotifyUrl.refusal(url, ALLOWED), url);
    }
  }

  @Test
  void everyOtherUrlIsRefusedWithTheRuleItBreaks() {
    record Case(String url, String rule) {}
    for (Case c :
        new Case[] {
          new Case("https://evil.example.com/", "not in NOTIFY_ALLOWED_HOSTS"),
          new Case("http://169.254.169.254/latest/meta-data", "not in NOTIFY_ALLOWED_HOSTS"),
          new Case("http://hooks.example.com.evil.com/", "not in NOTIFY_ALLOWED_HOSTS"),
          new Case("ftp://hooks.example.com/", "absolute http(s) URL"),
          new Case("file:///etc/passwd", "absolute http(s) URL"),
          new Case("/relative", "absolute http(s) URL"),
          new Case("http://exa mple.com/", "absolute http(s) URL"),
          new Case("http://user:pw@hooks.example.com/", "user name or password"),
          new Case("https://hooks.example.com/" + "a".repeat(3000), "at most 2048")
        }) {
      Optional<String> refusal = NotifyUrl.refusal(c.url(), ALLOWED);
      assertTrue(refusal.isPresent() && refusal.get().contains(c.rule()), c + ": " + refusal);
    }
    assertTrue(
        NotifyUrl.refusal("https://hooks.example.com/", Set.of()).orElseThrow().contains("off"));
  }
}
