package dev.conveyor.worker;

import dev.conveyor.core.ClaimedJob;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The second example type, the one {@code docs/your-own-work.md} walks through: {@code
 * "type":"checksum"} answers the SHA-256 of the data's UTF-8 bytes. Pure and quick, so it is
 * idempotent under at-least-once delivery without any care, and has nothing to interrupt.
 */
@JobType("checksum")
@ApplicationScoped
public class ChecksumHandler implements JobHandler {

  /** What a checksum job answers: {@code {"sha256":"<lowercase hex>"}}. */
  public record Result(String sha256) {}

  @Override
  public Result handle(ClaimedJob job) throws NoSuchAlgorithmException {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    return new Result(
        HexFormat.of().formatHex(sha256.digest(job.data().getBytes(StandardCharsets.UTF_8))));
  }
}
