package dev.conveyor.worker;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The type of work a {@link JobHandler} bean does: jobs POSTed with {@code "type":"<value>"} go to
 * it. A handler without it does the default type's work (jobs that name no type), in place of the
 * demo's. The value matches {@code [a-z][a-z0-9_.-]{0,63}}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface JobType {
  String value();
}
