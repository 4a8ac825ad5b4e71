package dev.conveyor.core;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lease prefixes for claim calls. A claim's lease fences its completion: a worker whose job was
 * recovered and claimed again holds a lease that no longer matches. A prefix is this process'
 * random tag and a counter, so it is unique without a random draw per claim.
 */
public final class Leases {

  /** 128 random bits drawn once per process: with the counter, every prefix is unique. */
  private static final String PROCESS_TAG = newProcessTag();

  private static final AtomicLong CLAIM_CALLS = new AtomicLong();

  private Leases() {}

  /** A lease prefix unique to one claim call (and its repeats); never contains {@code ':'}. */
  public static String newPrefix() {
    return PROCESS_TAG + "." + Long.toString(CLAIM_CALLS.incrementAndGet(), 36);
  }

  private static String newProcessTag() {
    byte[] bits = new byte[16];
    new SecureRandom().nextBytes(bits);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
  }
}
