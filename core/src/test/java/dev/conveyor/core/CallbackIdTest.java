package dev.conveyor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CallbackIdTest {

  @Test
  void isTheUppercaseMd5OfTheUtf8BytesOfTheData() {
    assertEquals("ACBD18DB4CC2F85CEDEF654FCCC4A4D8", CallbackId.of("foo"));
    assertEquals("D41D8CD98F00B204E9800998ECF8427E", CallbackId.of(""));
    assertEquals("66DDCD97CFDEABB2F6FB8A999B4BC76F", CallbackId.of("é"));
    assertEquals("5EB63BBBE01EEED093CB22BB8F5ACDC3", CallbackId.of("hello world"));
  }

  @Test
  void theDefaultTypeKeepsTheSeedsIdAndOtherTypesNeverShareOne() throws Exception {
    assertEquals(CallbackId.of("foo"), CallbackId.of(null, "foo"));
    assertEquals(CallbackId.of("foo"), CallbackId.of(JobSpec.DEFAULT_TYPE, "foo"));
    // the type's bytes, a 0xFF byte, the data's bytes
    byte[] input = {'c', 'h', 'e', 'c', 'k', 's', 'u', 'm', (byte) 0xFF, 'f', 'o', 'o'};
    assertEquals(
        java.util.HexFormat.of()
            .withUpperCase()
            .formatHex(java.security.MessageDigest.getInstance("MD5").digest(input)),
        CallbackId.of("checksum", "foo"));
    assertNotEquals(CallbackId.of("checksum", "foo"), CallbackId.of("foo"));
    assertNotEquals(CallbackId.of("checksum", "foo"), CallbackId.of("resize", "foo"));
    // no prefix of the data can make a default job collide with a typed one
    assertNotEquals(CallbackId.of("checksum", "foo"), CallbackId.of("checksum\u00FFfoo"));
    assertNotEquals(CallbackId.of("a", "bc"), CallbackId.of("ab", "c"));
  }

  @Test
  void parsesAnIdWithOrWithoutALeadingUnderscore() {
    assertEquals(
        Optional.of("ACBD18DB4CC2F85CEDEF654FCCC4A4D8"),
        CallbackId.parse("ACBD18DB4CC2F85CEDEF654FCCC4A4D8"));
    assertEquals(
        Optional.of("ACBD18DB4CC2F85CEDEF654FCCC4A4D8"),
        CallbackId.parse("_ACBD18DB4CC2F85CEDEF654FCCC4A4D8"));
  }

  @Test
  void refusesAnythingButThirtyTwoUppercaseHexDigits() {
    for (String bad :
        new String[] {
          "acbd18db4cc2f85cedef654fccc4a4d8",
          "ACBD18DB4CC2F85CEDEF654FCCC4A4D",
          "ACBD18DB4CC2F85CEDEF654FCCC4A4D8A",
          "__ACBD18DB4CC2F85CEDEF654FCCC4A4D8",
          "../etc/passwd",
          "ACBD18DB4CC2F85CEDEF654FCCC4A4D\u0000",
          "",
          "_"
        }) {
      assertTrue(CallbackId.parse(bad).isEmpty(), bad);
    }
    assertTrue(CallbackId.parse(null).isEmpty());
  }
}
