package dev.conveyor.core;

import io.smallrye.mutiny.Uni;
import java.time.Duration;

/**
 * Bounds a Redis call in time and names its failure: whatever goes wrong (refused, reset, no answer
 * within the limit) becomes a {@link StorageUnavailableException}, so no caller hangs.
 */
final class Guard {

  private Guard() {}

  static <T> Uni<T> timed(Uni<T> call, Duration limit, String what) {
    return call.ifNoItem()
        .after(limit)
        .failWith(
            () ->
                new StorageUnavailableException(
                    "Redis did not answer " + what + " within " + limit.toMillis() + " ms", null))
        .onFailure(f -> !(f instanceof StorageUnavailableException))
        .transform(
            f ->
                new StorageUnavailableException("Redis failed " + what + ": " + f.getMessage(), f));
  }
}
