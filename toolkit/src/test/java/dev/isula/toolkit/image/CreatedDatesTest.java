package dev.isula.toolkit.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CreatedDatesTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "1970-01-01T00:00:00Z",
        "2038-01-19T03:14:07Z",
        "2020-09-13T12:26:40.123456789Z",
        "2020-09-13T14:26:40+02:00",
        "1970-01-01T01:00:00+01:00"
      })
  void acceptedDates(String d) {
    assertTrue(CreatedDates.problem(d).isEmpty(), d);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2038-01-19T03:14:08Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:59:59+01:00",
        "2020-09-13T12:26:40.1234567891Z",
        "2020-09-13 12:26:40Z",
        "2020-09-13T12:26:40",
        "2020-13-13T12:26:40Z",
        ""
      })
  void refusedDates(String d) {
    assertTrue(CreatedDates.problem(d).isPresent(), d);
  }

  @Test
  void missingIsAProblem() {
    assertEquals("missing", CreatedDates.problem(null).orElseThrow());
  }

  @Test
  void fillUsesTheNewestValidDateAndSaysSoOnce() {
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.putArray("history")
        .add(JsonNodeFactory.instance.objectNode().put("created", "2001-01-01T00:00:00Z"))
        .add(JsonNodeFactory.instance.objectNode().put("created", "2039-01-01T00:00:00Z"))
        .add(JsonNodeFactory.instance.objectNode().put("created_by", "x"));
    List<String> log = new ArrayList<>();
    assertTrue(CreatedDates.fill(c, log::add));
    assertEquals("2001-01-01T00:00:00Z", c.path("created").asText(), "2039 is out of range");
    assertEquals("2001-01-01T00:00:00Z", c.get("history").get(2).path("created").asText());
    assertEquals("2039-01-01T00:00:00Z", c.get("history").get(1).path("created").asText());
    assertEquals(2, log.size(), log::toString);
    assertTrue(log.get(0).contains("(config, history 2)"), log::toString);
    assertTrue(log.get(1).contains("history 1: 2039-01-01T00:00:00Z is after"), log::toString);
  }

  @Test
  void nothingToSayAboutGoodDates() {
    ObjectNode c = JsonNodeFactory.instance.objectNode().put("created", "2001-01-01T00:00:00Z");
    List<String> log = new ArrayList<>();
    assertFalse(CreatedDates.fill(c, log::add));
    assertEquals(List.of(), log);
  }
}
