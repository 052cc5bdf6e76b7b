#!/usr/bin/env bash
# Fuzzes every Jazzer target of golden-tests/src/test/java/dev/isula/golden/fuzz for MINUTES each
# (default 5), one target after another, then prints what was found.
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]     TARGET: e.g. TarReaderFuzzTest#readAllEntries
#
# In the normal test run (mvn test) the same targets only replay their committed seed corpus
# (src/test/resources/dev/isula/golden/fuzz/<Class>Inputs/<method>/). Here JAZZER_FUZZ=1 makes
# Jazzer mutate inputs, guided by coverage of the toolkit and plugin classes (dev.isula.**).
#   - inputs that reach new coverage go to golden-tests/.cifuzz-corpus/<class>/<method>/ (kept
#     between runs, not committed);
#   - an input that makes a target throw anything but a declared failure (IsulaException,
#     IOException) is a finding: Jazzer writes it as crash-<sha1> into the target's Inputs
#     directory, so from then on the normal test run replays it (and fails until it is fixed).
# The toolkit must be installed first (mvn install -DskipTests), since golden-tests uses its jars.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
minutes=${1:-5}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(
    TarReaderFuzzTest#readAllEntries
    DockerArchiveFuzzTest#openDockerArchive
    OciArchiveFuzzTest#openOciArchive
    RootfsImportFuzzTest#importRootfs
    FlattenFuzzTest#flatten
  )
fi
seconds=$((minutes * 60))
inputs="$repo/golden-tests/src/test/resources/dev/isula/golden/fuzz"
reports="$repo/golden-tests/target/fuzz-reports"
mkdir -p "$reports"
summary=()
status=0
for target in "${targets[@]}"; do
  class=${target%%#*}
  method=${target##*#}
  before=$(find "$inputs/${class}Inputs" -name 'crash-*' 2>/dev/null | sort)
  log="$reports/$class.$method.log"
  echo "== fuzzing $target for $minutes min (log: $log)"
  start=$(date +%s)
  (cd "$repo/golden-tests" &&
    JAZZER_FUZZ=1 mvn -B -ntp -o test \
      -Dspotless.check.skip=true \
      -Dsurefire.failIfNoSpecifiedTests=false \
      -DtempDir="surefire-fuzz-$class" \
      -DredirectTestOutputToFile=false \
      -Dtest="dev.isula.golden.fuzz.$target" \
      -Djazzer.instrumentation_includes='dev.isula.**' \
      -Djazzer.custom_hook_includes='dev.isula.**' \
      -Djazzer.internal.arg.0=fuzz \
      -Djazzer.internal.arg.1="-max_total_time=$seconds" \
      -Djazzer.internal.arg.2=-print_final_stats=1) >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  after=$(find "$inputs/${class}Inputs" -name 'crash-*' 2>/dev/null | sort)
  new=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$')
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)
  corpus=$(find "$repo/golden-tests/.cifuzz-corpus" -path "*$class*" -type f 2>/dev/null | wc -l)
  line="$target: ${took}s, ${runs:-?} executions, ${cov:-cov: ?}, corpus $corpus files"
  if [ -n "$new" ]; then
    line="$line, FINDINGS: $(echo "$new" | wc -l) (see $log)"
    status=1
    grep -E '^== Java Exception|^java\.|^Caused by|^\s+at dev\.isula' "$log" | head -20
  elif [ $rc -ne 0 ]; then
    line="$line, mvn exit $rc (see $log)"
    status=1
  else
    line="$line, no findings"
  fi
  echo "$line"
  summary+=("$line")
done
echo
echo "== fuzzing summary ($minutes min per target)"
printf '%s\n' "${summary[@]}"
exit $status
