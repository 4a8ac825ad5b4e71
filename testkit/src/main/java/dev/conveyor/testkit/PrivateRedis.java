package dev.conveyor.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@link TestRedis} parameter: this test gets a Redis of its own, which it may stop, kill and
 * restart (outage tests), and which is removed after the test. Without it, tests share one Redis
 * and are kept apart by their key prefixes.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface PrivateRedis {}
