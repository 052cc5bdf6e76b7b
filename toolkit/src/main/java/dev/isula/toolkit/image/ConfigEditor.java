package dev.isula.toolkit.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Applies {@code --change} Dockerfile instructions to an image config the way {@code docker import
 * --change} does: CMD, ENTRYPOINT (JSON or shell form), ENV, EXPOSE, LABEL, STOPSIGNAL, USER,
 * VOLUME, WORKDIR, with docker's quoting and {@code $VAR} substitution from the config's
 * environment. Anything else is refused.
 */
public final class ConfigEditor {
  private final ObjectNode config;
  private final ObjectNode runConfig;
  private boolean cmdSet;

  private ConfigEditor(ObjectNode config) {
    this.config = config;
    JsonNode c = config.get("config");
    this.runConfig = c instanceof ObjectNode o ? o : config.putObject("config");
  }

  /**
   * Applies {@code changes} in order to {@code config} (modified in place).
   *
   * @throws UsageException for an unsupported instruction or malformed arguments
   */
  public static void apply(ObjectNode config, List<String> changes) throws UsageException {
    ConfigEditor e = new ConfigEditor(config);
    for (String change : changes) {
      e.apply(change);
    }
  }

  /** Sets the comment of the newest history entry that made a layer (import's -m). */
  public static void setMessage(ObjectNode config, String message) {
    JsonNode h = config.get("history");
    if (h == null || !h.isArray()) {
      return;
    }
    for (int i = h.size() - 1; i >= 0; i--) {
      JsonNode e = h.get(i);
      if (e instanceof ObjectNode o && !o.path("empty_layer").asBoolean(false)) {
        o.put("comment", message);
        return;
      }
    }
  }

  private void apply(String change) throws UsageException {
    String line = change.strip();
    int sp = 0;
    while (sp < line.length() && !Character.isWhitespace(line.charAt(sp))) {
      sp++;
    }
    String instruction = line.substring(0, sp).toUpperCase(Locale.ROOT);
    String args = line.substring(sp).strip();
    if (instruction.isEmpty()) {
      throw new UsageException("empty --change");
    }
    switch (instruction) {
      case "CMD" -> {
        runConfig.set("Cmd", command(args, "CMD"));
        cmdSet = true;
      }
      case "ENTRYPOINT" -> {
        runConfig.set("Entrypoint", command(args, "ENTRYPOINT"));
        if (!cmdSet) {
          runConfig.remove("Cmd"); // as in a Dockerfile: a new ENTRYPOINT drops the inherited CMD
        }
      }
      case "ENV" -> env(args);
      case "LABEL" -> {
        ObjectNode labels = object(runConfig, "Labels");
        for (String[] kv : pairs(args, "LABEL", false)) {
          labels.put(kv[0], kv[1]);
        }
      }
      case "EXPOSE" -> {
        ObjectNode ports = object(runConfig, "ExposedPorts");
        for (String word : words(args, "EXPOSE")) {
          for (String p : ports(word)) {
            ports.putObject(p);
          }
        }
      }
      case "STOPSIGNAL" -> {
        List<String> w = words(args, "STOPSIGNAL");
        if (w.size() != 1) {
          throw new UsageException("STOPSIGNAL takes one signal: '" + change + "'");
        }
        runConfig.put("StopSignal", w.get(0));
      }
      case "USER" -> {
        List<String> w = words(args, "USER");
        if (w.size() != 1) {
          throw new UsageException("USER takes one user[:group]: '" + change + "'");
        }
        runConfig.put("User", w.get(0));
      }
      case "VOLUME" -> {
        ObjectNode volumes = object(runConfig, "Volumes");
        List<String> paths =
            args.startsWith("[") ? jsonArray(args, "VOLUME") : words(args, "VOLUME");
        if (paths.isEmpty()) {
          throw new UsageException("VOLUME needs at least one path");
        }
        for (String p : paths) {
          volumes.putObject(p);
        }
      }
      case "WORKDIR" -> {
        List<String> w = words(args, "WORKDIR");
        if (w.size() != 1) {
          throw new UsageException("WORKDIR takes one path: '" + change + "'");
        }
        String dir = w.get(0);
        if (!dir.startsWith("/")) {
          String current = Json.optText(runConfig, "WorkingDir");
          dir = (current == null || current.isEmpty() ? "/" : current) + "/" + dir;
        }
        runConfig.put("WorkingDir", normalizePath(dir));
      }
      default ->
          throw new UsageException(
              "--change '"
                  + change
                  + "': "
                  + instruction
                  + " is not supported (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER,"
                  + " VOLUME or WORKDIR)");
    }
  }

  private static ObjectNode object(ObjectNode parent, String key) {
    JsonNode n = parent.get(key);
    return n instanceof ObjectNode o ? o : parent.putObject(key);
  }

  private ArrayNode command(String args, String what) throws UsageException {
    ArrayNode arr = JsonNodeFactory.instance.arrayNode();
    if (args.startsWith("[")) {
      jsonArray(args, what).forEach(arr::add);
    } else {
      if (args.isEmpty()) {
        throw new UsageException(what + " needs a command");
      }
      arr.add("/bin/sh").add("-c").add(args);
    }
    return arr;
  }

  private static List<String> jsonArray(String args, String what) throws UsageException {
    JsonNode n;
    try {
      n = Json.mapper().readTree(args);
    } catch (java.io.IOException e) {
      throw new UsageException(what + ": invalid JSON array: " + args);
    }
    if (!n.isArray()) {
      throw new UsageException(what + ": expected a JSON array of strings: " + args);
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new UsageException(what + ": expected a JSON array of strings: " + args);
      }
      out.add(e.asText());
    }
    return out;
  }

  private void env(String args) throws UsageException {
    List<String[]> kvs = pairs(args, "ENV", true);
    for (String[] kv : kvs) {
      ArrayNode env = runConfig.get("Env") instanceof ArrayNode a ? a : runConfig.putArray("Env");
      boolean replaced = false;
      for (int i = 0; i < env.size(); i++) {
        String e = env.get(i).asText();
        if (e.equals(kv[0]) || e.startsWith(kv[0] + "=")) {
          env.set(i, JsonNodeFactory.instance.textNode(kv[0] + "=" + kv[1]));
          replaced = true;
          break;
        }
      }
      if (!replaced) {
        env.add(kv[0] + "=" + kv[1]);
      }
    }
  }

  /** key=value pairs (or the legacy "KEY value with spaces" form when allowed). */
  private List<String[]> pairs(String args, String what, boolean legacyForm) throws UsageException {
    List<String[]> out = new ArrayList<>();
    List<String> raw = rawWords(args, what);
    if (raw.isEmpty()) {
      throw new UsageException(what + " needs arguments");
    }
    if (!raw.get(0).contains("=")) {
      if (!legacyForm || raw.size() < 2) {
        throw new UsageException(what + ": expected KEY=VALUE: '" + args + "'");
      }
      String key = unquote(raw.get(0));
      String value = args.substring(args.indexOf(raw.get(0)) + raw.get(0).length()).strip();
      out.add(new String[] {key, unquote(value)});
      return out;
    }
    for (String w : raw) {
      int eq = w.indexOf('=');
      if (eq <= 0) {
        throw new UsageException(what + ": expected KEY=VALUE, got '" + w + "'");
      }
      out.add(new String[] {unquote(w.substring(0, eq)), unquote(w.substring(eq + 1))});
    }
    return out;
  }

  private List<String> words(String args, String what) throws UsageException {
    List<String> out = new ArrayList<>();
    for (String w : rawWords(args, what)) {
      out.add(unquote(w));
    }
    return out;
  }

  /** Splits on unquoted whitespace, keeping quotes in the words. */
  private static List<String> rawWords(String s, String what) throws UsageException {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    char quote = 0;
    boolean inWord = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote == 0 && Character.isWhitespace(c)) {
        if (inWord) {
          out.add(cur.toString());
          cur.setLength(0);
          inWord = false;
        }
        continue;
      }
      inWord = true;
      if (c == '\\' && quote != '\'' && i + 1 < s.length()) {
        cur.append(c).append(s.charAt(++i));
        continue;
      }
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      }
      cur.append(c);
    }
    if (quote != 0) {
      throw new UsageException(what + ": unterminated quote in '" + s + "'");
    }
    if (inWord) {
      out.add(cur.toString());
    }
    return out;
  }

  /** Removes quotes and escapes, substituting $VAR outside single quotes. */
  private String unquote(String w) {
    StringBuilder out = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < w.length(); i++) {
      char c = w.charAt(i);
      if (c == '\\' && quote != '\'' && i + 1 < w.length()) {
        char n = w.charAt(++i);
        if (quote == '"' && n != '"' && n != '\\' && n != '$') {
          out.append('\\');
        }
        out.append(n);
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      } else if (c == '$' && quote != '\'') {
        i = variable(w, i, out);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * Expands $NAME, ${NAME}, ${NAME:-default}, ${NAME:+alternative}; returns the last index used.
   */
  private int variable(String w, int i, StringBuilder out) {
    if (i + 1 >= w.length()) {
      out.append('$');
      return i;
    }
    if (w.charAt(i + 1) == '{') {
      int end = w.indexOf('}', i + 2);
      if (end < 0) {
        out.append(w, i, w.length());
        return w.length() - 1;
      }
      String body = w.substring(i + 2, end);
      String name = body;
      String op = null;
      String word = "";
      int colon = body.indexOf(':');
      if (colon > 0 && colon + 1 < body.length()) {
        name = body.substring(0, colon);
        op = body.substring(colon, colon + 2);
        word = body.substring(colon + 2);
      }
      String value = lookup(name);
      if (":-".equals(op)) {
        out.append(value == null || value.isEmpty() ? word : value);
      } else if (":+".equals(op)) {
        out.append(value == null || value.isEmpty() ? "" : word);
      } else {
        out.append(value == null ? "" : value);
      }
      return end;
    }
    int j = i + 1;
    while (j < w.length() && (Character.isLetterOrDigit(w.charAt(j)) || w.charAt(j) == '_')) {
      j++;
    }
    if (j == i + 1) {
      out.append('$');
      return i;
    }
    String value = lookup(w.substring(i + 1, j));
    out.append(value == null ? "" : value);
    return j - 1;
  }

  private String lookup(String name) {
    JsonNode env = runConfig.get("Env");
    if (env != null && env.isArray()) {
      for (JsonNode e : env) {
        String s = e.asText();
        if (s.startsWith(name + "=")) {
          return s.substring(name.length() + 1);
        }
      }
    }
    return null;
  }

  private static List<String> ports(String word) throws UsageException {
    String proto = "tcp";
    String p = word;
    int slash = word.indexOf('/');
    if (slash >= 0) {
      proto = word.substring(slash + 1).toLowerCase(Locale.ROOT);
      p = word.substring(0, slash);
      if (!proto.equals("tcp") && !proto.equals("udp") && !proto.equals("sctp")) {
        throw new UsageException("EXPOSE: unknown protocol in '" + word + "'");
      }
    }
    List<String> out = new ArrayList<>();
    try {
      int dash = p.indexOf('-');
      int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
      int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1));
      if (from < 1 || to > 65535 || to < from || to - from > 10000) {
        throw new NumberFormatException();
      }
      for (int port = from; port <= to; port++) {
        out.add(port + "/" + proto);
      }
    } catch (NumberFormatException e) {
      throw new UsageException("EXPOSE: invalid port '" + word + "'");
    }
    return out;
  }

  private static String normalizePath(String p) {
    List<String> parts = new ArrayList<>();
    for (String s : p.split("/")) {
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        if (!parts.isEmpty()) {
          parts.remove(parts.size() - 1);
        }
      } else {
        parts.add(s);
      }
    }
    return "/" + String.join("/", parts);
  }
}
