package dev.conveyor.api;

import dev.conveyor.core.SharedSecret;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Cancel tokens: a job's capability to be cancelled, given to whoever posted it. A token is the
 * HMAC-SHA256 of the callback under the system's secret (CANCEL_SECRET, or else one kept in Redis,
 * see {@link SharedSecret}), its first 16 bytes in hex: nothing is stored per job, every api checks
 * every token, and knowing a callback (an MD5 of the data) is not enough to cancel its job.
 */
public final class CancelTokens {

  private static final String ALGORITHM = "HmacSHA256";
  private static final int TOKEN_BYTES = 16;

  private final SharedSecret shared;
  private volatile SecretKeySpec key;
  // a Mac is not thread-safe and costs a key schedule to set up: one per thread, made once
  private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

  CancelTokens(Optional<String> configured, SharedSecret shared) {
    this.shared = shared;
    configured.ifPresent(this::use);
  }

  /** Answers once tokens can be made: at once when the secret is known, else after reading it. */
  Uni<Void> ready() {
    if (key != null) {
      return Uni.createFrom().voidItem();
    }
    return shared.get().invoke(this::use).replaceWithVoid();
  }

  /** True once {@link #ready} has answered (and from the start with CANCEL_SECRET). */
  boolean isReady() {
    return key != null;
  }

  /** The token of job {@code id}; only after {@link #ready}. */
  String sign(String id) {
    byte[] mac = macs.get().doFinal(id.getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of().formatHex(mac, 0, TOKEN_BYTES);
  }

  /** True when {@code token} is job {@code id}'s; compared in constant time. */
  boolean verify(String id, String token) {
    return MessageDigest.isEqual(
        sign(id).getBytes(StandardCharsets.US_ASCII), token.getBytes(StandardCharsets.US_ASCII));
  }

  private synchronized void use(String secret) {
    if (key == null) {
      key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    }
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
