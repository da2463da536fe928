#!/usr/bin/env bash
# The answers' reader (src/json.c) against cJSON's own parser, reading the
# same text into the same tree, both allocating from a bump arena reset per
# text: microseconds per text, best of ROUNDS rounds of ITERATIONS reads
# (test/json/json_bench.c).  The texts are answers of the emulator: a
# 100-image page of a generated classification job (seed=1, 20 tags, 10%
# untagged, the page fdw_bench.sh reads 10,001 times at 1,000,000 images),
# and the sample data's detection job 282 (boxes with coordinates).  A
# benchmark, not a test: it prints figures and asserts nothing.
# Run: test/bench/json_bench.sh [ITERATIONS=20000] [ROUNDS=5]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/emulator.sh
. test/lib/bench.sh
bench_args "ITERATIONS ROUNDS" "$@"
iterations=${ITERATIONS:-20000}
rounds=${ROUNDS:-5}
bench_numbers "$iterations" "$rounds"

emulator_build || exit 1
work=$(mktemp -d /tmp/modelarts-json-bench.XXXXXX)
export TMPDIR=$work
trap 'emulator_stop; rm -rf "$work"' EXIT
cc -O2 -Wall -I"$top/src" test/json/json_bench.c src/json.c \
  $(pkg-config --cflags --libs libcjson 2>/dev/null || echo -lcjson) -o "$work/json_bench"

fetch() {  # fetch URL FILE
  curl -sf -H 'X-Auth-Token: json-bench' "$1" -o "$2"
}
emulator_start --generate "seed=1,jobs=1,images=1000,tags=20,untagged=0.1"
fetch "$EMULATOR_URL/v1/$EMULATOR_PROJECT/data-annotations/1/images?per_page=100&page=3" "$work/generated.json"
emulator_stop
emulator_start --data test/data/sample.json
fetch "$EMULATOR_URL/v1/$EMULATOR_PROJECT/data-annotations/282/images?per_page=100&page=1" "$work/detection.json"
emulator_stop

for t in generated detection; do
  echo "# $t page ($(wc -c <"$work/$t.json") bytes), $iterations reads per round"
  "$work/json_bench" "$work/$t.json" "$iterations" "$rounds"
done
