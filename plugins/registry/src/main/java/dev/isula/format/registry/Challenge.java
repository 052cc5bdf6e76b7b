package dev.isula.format.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One authentication challenge of a {@code WWW-Authenticate} header (RFC 7235): a scheme ({@code
 * Bearer}, {@code Basic}) and its parameters, e.g. {@code Bearer
 * realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"}.
 *
 * @param scheme lower case
 * @param params parameter names in lower case, values unquoted
 */
record Challenge(String scheme, Map<String, String> params) {

  boolean isBearer() {
    return scheme.equals("bearer");
  }

  boolean isBasic() {
    return scheme.equals("basic");
  }

  String param(String name) {
    return params.get(name);
  }

  /**
   * Parses a header value holding one or more challenges; unparseable parts are skipped. A registry
   * sends one, but a header may list several ({@code Basic realm="x", Bearer realm="y"}).
   */
  static List<Challenge> parse(String header) {
    List<Challenge> out = new ArrayList<>();
    if (header == null) {
      return out;
    }
    Lexer lx = new Lexer(header);
    String scheme = null;
    Map<String, String> params = new LinkedHashMap<>();
    while (true) {
      lx.skipSpaceAndCommas();
      if (lx.atEnd()) {
        break;
      }
      String token = lx.token();
      if (token.isEmpty()) {
        lx.pos++; // stray character
        continue;
      }
      lx.skipSpace();
      if (lx.peek() == '=' && scheme != null) {
        lx.pos++;
        lx.skipSpace();
        String value = lx.peek() == '"' ? lx.quoted() : lx.token68();
        params.put(token.toLowerCase(Locale.ROOT), value);
        continue;
      }
      if (lx.peek() == '=' && scheme == null) {
        // a parameter without a scheme: malformed, skip its value
        lx.pos++;
        lx.skipSpace();
        if (lx.peek() == '"') {
          lx.quoted();
        } else {
          lx.token68();
        }
        continue;
      }
      // a new scheme (possibly followed by a token68, e.g. "Negotiate abc==")
      if (scheme != null) {
        out.add(new Challenge(scheme, Map.copyOf(params)));
        params = new LinkedHashMap<>();
      }
      scheme = token.toLowerCase(Locale.ROOT);
    }
    if (scheme != null) {
      out.add(new Challenge(scheme, Map.copyOf(params)));
    }
    return out;
  }

  /** The challenge we can answer from a header: Bearer preferred over Basic; null if neither. */
  static Challenge choose(List<String> headers) {
    Challenge basic = null;
    for (String h : headers) {
      for (Challenge c : parse(h)) {
        if (c.isBearer() && c.param("realm") != null) {
          return c;
        }
        if (c.isBasic() && basic == null) {
          basic = c;
        }
      }
    }
    return basic;
  }

  private static final class Lexer {
    final String s;
    int pos;

    Lexer(String s) {
      this.s = s;
    }

    boolean atEnd() {
      return pos >= s.length();
    }

    char peek() {
      return atEnd() ? '\0' : s.charAt(pos);
    }

    void skipSpace() {
      while (!atEnd() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    void skipSpaceAndCommas() {
      while (!atEnd() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == ',')) {
        pos++;
      }
    }

    /** An RFC 7230 token. */
    String token() {
      int start = pos;
      while (!atEnd() && isTokenChar(s.charAt(pos))) {
        pos++;
      }
      return s.substring(start, pos);
    }

    /** A token68 value (tokens may end in '='), or an unquoted parameter value. */
    String token68() {
      int start = pos;
      while (!atEnd() && s.charAt(pos) != ',' && s.charAt(pos) != ' ' && s.charAt(pos) != '\t') {
        pos++;
      }
      return s.substring(start, pos);
    }

    /** A quoted string, with backslash escapes; an unterminated one runs to the end. */
    String quoted() {
      StringBuilder b = new StringBuilder();
      pos++; // opening quote
      while (!atEnd()) {
        char c = s.charAt(pos++);
        if (c == '"') {
          break;
        }
        if (c == '\\' && !atEnd()) {
          c = s.charAt(pos++);
        }
        b.append(c);
      }
      return b.toString();
    }

    private static boolean isTokenChar(char c) {
      return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={} \t".indexOf(c) < 0;
    }
  }
}
