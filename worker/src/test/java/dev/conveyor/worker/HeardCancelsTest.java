package dev.conveyor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeardCancelsTest {

  @Test
  void aCancelHeardBeforeItsJobIsInHandIsFoundWhenItIs() {
    HeardCancels heard = new HeardCancels();
    heard.heard("A", id -> false); // no handler runs A yet
    List<String> registered = new ArrayList<>();
    assertTrue(heard.taken("A", () -> registered.add("A")), "A was cancelled before");
    assertEquals(List.of("A"), registered, "registered in the same step");
    assertFalse(heard.taken("A", () -> {}), "once: a later claim of A is not cancelled");
  }

  @Test
  void aCancelDeliveredToARunningHandlerIsNotKept() {
    HeardCancels heard = new HeardCancels();
    heard.heard("B", id -> true);
    assertFalse(heard.taken("B", () -> {}));
    assertFalse(heard.taken("C", () -> {}), "nothing heard of C");
  }
}
