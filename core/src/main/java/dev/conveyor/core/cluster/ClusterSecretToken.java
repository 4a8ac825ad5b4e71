package dev.conveyor.core.cluster;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.auth.AuthToken;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.util.UUID;
import org.jgroups.util.Util;

/**
 * Proves to the coordinator that a joining (or merging) member knows {@code CLUSTER_SECRET},
 * without sending the secret: the token carries a time and an HMAC-SHA256 of the cluster name, the
 * sender's address and that time, under a key derived from the secret (PBKDF2, salted with the
 * cluster name). The coordinator recomputes it for the address the request came from, and accepts
 * it only if it matches and the time is recent, so a token copied off the wire is no good for
 * another address or, after {@link #FRESHNESS}, at all.
 */
public final class ClusterSecretToken extends AuthToken {

  /** How far a token's time may be from the coordinator's clock: covers skew between hosts. */
  static final Duration FRESHNESS = Duration.ofMinutes(5);

  private static final int KEY_ITERATIONS = 120_000;
  private static final int MAC_LENGTH = 32;

  // set on the node that owns the secret; a token read off the wire carries only time and MAC
  private final SecretKeySpec key;
  private final String cluster;
  private long issuedAt;
  private byte[] mac = new byte[0];

  /** For JGroups, which creates an empty token to read one off the wire. */
  public ClusterSecretToken() {
    this.key = null;
    this.cluster = null;
  }

  ClusterSecretToken(String cluster, String secret) {
    this.cluster = cluster;
    this.key = deriveKey(cluster, secret);
  }

  @Override
  public String getName() {
    return ClusterSecretToken.class.getName();
  }

  @Override
  public int size() {
    return Long.BYTES + Util.size(new byte[MAC_LENGTH]);
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    long now = System.currentTimeMillis();
    out.writeLong(now);
    Util.writeByteBuffer(sign(auth.getAddress(), now), out);
  }

  @Override
  public void readFrom(DataInput in) throws IOException {
    issuedAt = in.readLong();
    mac = Util.readByteBuffer(in);
  }

  @Override
  public boolean authenticate(AuthToken token, Message msg) {
    if (token == this) {
      // a request to ourselves is looped back unserialized: it carries this very token
      return auth.getAddress().equals(senderOf(msg));
    }
    if (!(token instanceof ClusterSecretToken other) || key == null || other.mac == null) {
      return false;
    }
    long skew = Math.abs(System.currentTimeMillis() - other.issuedAt);
    if (skew > FRESHNESS.toMillis()) {
      log.warn(
          "refused %s: its proof of CLUSTER_SECRET is %d s off this clock (more than %d s);"
              + " are the hosts' clocks in sync?",
          msg.getSrc(), skew / 1000, FRESHNESS.toSeconds());
      return false;
    }
    Address sender = senderOf(msg);
    if (sender == null) {
      log.warn("refused a join or merge request whose sender is unknown");
      return false;
    }
    return MessageDigest.isEqual(sign(sender, other.issuedAt), other.mac);
  }

  /**
   * The member a request comes from: its source, or, for a message delivered in a batch (no source
   * of its own), the joiner its GMS header names.
   */
  private static Address senderOf(Message msg) {
    if (msg.getSrc() != null) {
      return msg.getSrc();
    }
    GMS.GmsHeader header = msg.getHeader(ClassConfigurator.getProtocolId(GMS.class));
    return header == null ? null : header.getMember();
  }

  private byte[] sign(Address sender, long time) {
    try {
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(key);
      String address = sender instanceof UUID uuid ? uuid.toStringLong() : String.valueOf(sender);
      return hmac.doFinal(
          ("conveyor-cluster-join|" + cluster + "|" + address + "|" + time)
              .getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime ships HmacSHA256", e);
    }
  }

  static SecretKeySpec deriveKey(String cluster, String secret) {
    try {
      PBEKeySpec spec =
          new PBEKeySpec(
              secret.toCharArray(),
              ("conveyor-cluster:" + cluster).getBytes(StandardCharsets.UTF_8),
              KEY_ITERATIONS,
              256);
      byte[] derived =
          SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      return new SecretKeySpec(derived, "HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime ships PBKDF2WithHmacSHA256", e);
    }
  }

  @Override
  public String toString() {
    return "ClusterSecretToken";
  }
}
