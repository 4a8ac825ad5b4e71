package dev.conveyor.worker;

import dev.conveyor.core.JobSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which types a worker serves, from its handler beans: each bean's {@link JobType} (none: the
 * default type), narrowed by WORKER_TYPES, each with WORKER_CONCURRENCY_&lt;TYPE&gt; or else
 * WORKER_CONCURRENCY slots. The demo's {@link SleepingJobHandler} gives way to a user's handler of
 * the default type; any other two handlers of one type are a mistake the worker refuses to start
 * with.
 */
final class JobTypes {

  private JobTypes() {}

  /** The type a handler class does: its {@link JobType}, or the default type. */
  static String typeOf(Class<?> handlerClass) {
    JobType declared = handlerClass.getAnnotation(JobType.class);
    return declared == null ? JobSpec.DEFAULT_TYPE : declared.value();
  }

  /** The variable that sets one type's concurrency: WORKER_CONCURRENCY_CHECKSUM for checksum. */
  static String concurrencyVariable(String type) {
    return "WORKER_CONCURRENCY_" + type.toUpperCase(Locale.ROOT).replaceAll("[.-]", "_");
  }

  /**
   * The served types, sorted by name.
   *
   * @param handlers each handler bean and its bean class (a CDI proxy's class carries no
   *     annotation)
   * @param only WORKER_TYPES: the types to serve, when given
   * @param concurrency WORKER_CONCURRENCY, for types without a setting of their own
   * @param concurrencyOf a type's own setting, read from {@link #concurrencyVariable}
   * @throws IllegalStateException naming the handlers, when two do one type or WORKER_TYPES names a
   *     type no handler does
   */
  static List<ServedType> served(
      Map<JobHandler, Class<?>> handlers,
      Optional<List<String>> only,
      int concurrency,
      Function<String, Optional<Integer>> concurrencyOf) {
    Map<String, JobHandler> byType = new LinkedHashMap<>();
    Map<String, Class<?>> classes = new LinkedHashMap<>();
    handlers.forEach(
        (handler, beanClass) -> {
          String type = typeOf(beanClass);
          if (!JobSpec.TYPE_RULE.matcher(type).matches()) {
            throw new IllegalStateException(
                "@JobType(\""
                    + type
                    + "\") on "
                    + beanClass.getName()
                    + " must match "
                    + JobSpec.TYPE_RULE);
          }
          Class<?> other = classes.get(type);
          if (other == null || other == SleepingJobHandler.class) {
            byType.put(type, handler);
            classes.put(type, beanClass);
          } else if (beanClass != SleepingJobHandler.class) {
            throw new IllegalStateException(
                "two handlers do type "
                    + type
                    + ": "
                    + other.getName()
                    + " and "
                    + beanClass.getName()
                    + "; give one of them another @JobType");
          }
        });
    List<String> types = new ArrayList<>(only.orElse(List.copyOf(byType.keySet())));
    for (String type : types) {
      if (!byType.containsKey(type)) {
        throw new IllegalStateException(
            "WORKER_TYPES names "
                + type
                + ", but no handler does it; the handlers do "
                + String.join(", ", byType.keySet()));
      }
    }
    return types.stream()
        .distinct()
        .sorted()
        .map(t -> new ServedType(t, byType.get(t), concurrencyOf.apply(t).orElse(concurrency)))
        .toList();
  }
}
