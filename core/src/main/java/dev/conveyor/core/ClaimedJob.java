package dev.conveyor.core;

/**
 * A job this worker owns until it completes or fails it.
 *
 * @param id the callback id
 * @param data what was submitted
 * @param attempt 1 for the first attempt, 2 for the first retry, …
 * @param lease the token of this claim; completion presents it so a stale owner is fenced off
 */
public record ClaimedJob(String id, String data, int attempt, String lease) {}
