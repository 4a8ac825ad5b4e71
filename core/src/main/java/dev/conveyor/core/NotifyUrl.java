package dev.conveyor.core;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The rule for a webhook's URL (notify_url), checked by the api when a job is posted and again by
 * the worker before it sends: an absolute http or https URL of at most {@link #MAX_LENGTH}
 * characters, with no user info, whose host is one of NOTIFY_ALLOWED_HOSTS. A server that calls
 * URLs its clients name must not become their way into the network behind it (SSRF): only hosts an
 * operator listed are called, and an empty list turns webhooks off.
 */
public final class NotifyUrl {

  /** Longer than any honest callback URL. */
  public static final int MAX_LENGTH = 2_048;

  private NotifyUrl() {}

  /** NOTIFY_ALLOWED_HOSTS as a set of lowercase host names (comma-separated; blanks ignored). */
  public static Set<String> allowedHosts(String list) {
    return Arrays.stream(list.split(","))
        .map(h -> h.trim().toLowerCase(Locale.ROOT))
        .filter(h -> !h.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }

  /** Why {@code url} may not be called, naming the rule and the fix; empty when it may. */
  public static Optional<String> refusal(String url, Set<String> allowedHosts) {
    if (allowedHosts.isEmpty()) {
      return Optional.of(
          "notify_url is not accepted here: webhooks are off (NOTIFY_ALLOWED_HOSTS is empty)");
    }
    if (url.length() > MAX_LENGTH) {
      return Optional.of("notify_url must be at most " + MAX_LENGTH + " characters");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Optional.of(
          "notify_url must be an absolute http(s) URL, such as \"https://example.com/hook\"");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      return Optional.of(
          "notify_url must be an absolute http(s) URL, such as \"https://example.com/hook\"");
    }
    if (uri.getRawUserInfo() != null) {
      return Optional.of("notify_url must not carry a user name or password");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (!allowedHosts.contains(host)) {
      return Optional.of(
          "notify_url's host "
              + (host.length() > 100 ? host.substring(0, 100) + "…" : host)
              + " is not in NOTIFY_ALLOWED_HOSTS");
    }
    return Optional.empty();
  }
}
