#!/usr/bin/env bash
# Prints the JDK the build and the launcher should use: ISULA_JAVA_HOME when set, else JAVA_HOME
# when set, else the newest JDK (17 or later) under /usr/lib/jvm. A JDK 22+ build adds the Java 22
# section of the toolkit jar (gzip inflate by ISA-L); see docs/performance.md. The same choice is
# made inline by ./jbang (no extra process at start-up). Prints nothing when there is none.
set -u
if [ -n "${ISULA_JAVA_HOME:-}" ]; then
  echo "$ISULA_JAVA_HOME"
  exit 0
fi
if [ -n "${JAVA_HOME:-}" ]; then
  echo "$JAVA_HOME"
  exit 0
fi
best=0 home=""
for d in /usr/lib/jvm/*; do
  [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] && [ ! -L "$d" ] || continue
  [[ ${d##*/} =~ ^[^0-9]*-([0-9]+)[.-] ]] || continue
  v=${BASH_REMATCH[1]}
  if [ "$v" -ge 17 ] && [ "$v" -gt "$best" ]; then
    best=$v
    home=$d
  fi
done
[ -n "$home" ] && echo "$home"
exit 0
