#!/bin/sh
# Benchmark the ModelArts emulator (built first: make emulator).
#
#   test/bench/emulator_bench.sh [DURATION_SECONDS]
#
# 1. Serves a generated job of 100,000 images and drives it with
#    `wrk -t2 -c16` (HTTP/1.1 keep-alive), each request a different
#    ?per_page=100&page=K (K cycles over all 1,000 pages); prints requests/s.
# 2. Generates 1,000,000 images (10 jobs x 100,000), prints the load time and
#    the emulator's VmRSS after serving a sweep of pages.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
emu=$top/test/emulator/modelarts-emulator
dur=${1:-10}
project=0f1e2d3c4b5a69788796a5b4c3d2e1f0
tmp=$(mktemp -d)
pid=

cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

make -s -C "$top" emulator WERROR="${WERROR-}" >/dev/null || { echo "the emulator does not build: make emulator" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

# start_emu SPEC: start the emulator on a free port, set $pid and $port
start_emu() {
	rm -f "$tmp/port"
	"$emu" --generate "$1" --port 0 >"$tmp/port" 2>"$tmp/stderr" &
	pid=$!
	i=0
	while [ ! -s "$tmp/port" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "emulator did not start" >&2; cat "$tmp/stderr" >&2; exit 1; }
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/stderr" >&2; exit 1; }
		sleep 0.05
	done
	port=$(head -n1 "$tmp/port")
}

stop_emu() {
	kill "$pid"; wait "$pid" || true; pid=
}

cat >"$tmp/pages.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/$project/data-annotations/1/images?per_page=100&page=" .. ((n % 1000) + 1))
end
LUA

echo "== throughput: 1 job x 100,000 images, 100-image pages, wrk -t2 -c16 -d${dur}s"
start_emu "seed=1,jobs=1,images=100000,tags=50,untagged=0.1"
curl -sf "http://127.0.0.1:$port/v1/$project/data-annotations/1/images?per_page=100&page=7" | wc -c | sed 's/^/bytes per page: /'
wrk -t2 -c16 -d"${dur}s" --latency -s "$tmp/pages.lua" "http://127.0.0.1:$port" | tee "$tmp/wrk.out"
echo "requests/s: $(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk.out")"
stop_emu

echo
echo "== scale: 10 jobs x 100,000 images = 1,000,000 images (last job detection)"
t0=$(date +%s.%N)
start_emu "seed=7,jobs=10,images=100000,tags=50,untagged=0.1,detection=1,boxes=3"
t1=$(date +%s.%N)
echo "ready after: $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s (port printed once loaded)"
sed -n 's/^modelarts-emulator: //p' "$tmp/stderr"
for job in 1 5 10; do
	for page in 1 500 1000 1001; do
		curl -sf -o /dev/null "http://127.0.0.1:$port/v1/$project/data-annotations/$job/images?per_page=100&page=$page"
		curl -sf -o /dev/null "http://127.0.0.1:$port/v1/$project/data-annotations/$job/images?per_page=100&page=$page&tag_name=tag-07"
	done
done
wrk -t2 -c16 -d3s -s "$tmp/pages.lua" "http://127.0.0.1:$port" >/dev/null
grep -E '^(VmRSS|VmHWM)' "/proc/$pid/status"
stop_emu
