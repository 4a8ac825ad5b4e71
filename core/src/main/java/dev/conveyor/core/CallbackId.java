package dev.conveyor.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The callback id of a job: the uppercase hex MD5 of the UTF-8 bytes of its data, as in the seed,
 * for a job of the default type. For any other type it is the MD5 of the type's bytes, a 0xFF byte
 * and the data's UTF-8 bytes: 0xFF never occurs in UTF-8, so no data of the default type and no
 * other type's data hashes the same bytes, and jobs of different types never share an id. The same
 * type and data always get the same id, which is what lets a second submission find the first.
 */
public final class CallbackId {

  private static final Pattern WELL_FORMED = Pattern.compile("[0-9A-F]{32}");
  private static final HexFormat HEX = HexFormat.of().withUpperCase();

  /** Between a type and the data: a byte that UTF-8 never uses. */
  private static final byte SEPARATOR = (byte) 0xFF;

  private CallbackId() {}

  /** The id of this data, for a job of the default type. */
  public static String of(String data) {
    return of(JobSpec.DEFAULT_TYPE, data);
  }

  /** The id of this data for a job of this type ({@code null}: the default type). */
  public static String of(String type, String data) {
    try {
      MessageDigest md5 = MessageDigest.getInstance("MD5");
      if (type != null && !type.equals(JobSpec.DEFAULT_TYPE)) {
        md5.update(type.getBytes(StandardCharsets.UTF_8));
        md5.update(SEPARATOR);
      }
      return HEX.formatHex(md5.digest(data.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime ships MD5", e);
    }
  }

  /**
   * The id named by a URL path segment: one leading {@code _} is allowed (the seed accepted it);
   * anything but 32 uppercase hex digits is no id at all, and so can never name a job.
   */
  public static Optional<String> parse(String segment) {
    if (segment == null) {
      return Optional.empty();
    }
    String id = segment.startsWith("_") ? segment.substring(1) : segment;
    return WELL_FORMED.matcher(id).matches() ? Optional.of(id) : Optional.empty();
  }
}
