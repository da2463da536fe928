# Shell helpers to run the ModelArts emulator from test scripts.
#
#   . test/lib/emulator.sh
#   emulator_start --data test/data/sample.json --access-log /tmp/x.log
#   curl "$EMULATOR_URL/v1/$EMULATOR_PROJECT/annotation-jobs"
#   emulator_stop
#
# emulator_build builds it (make emulator, quiet; its output on failure),
# with WERROR from the environment (the test scripts set -Werror).
#
# emulator_start runs test/emulator/modelarts-emulator on a free port
# (--port 0), waits for it to print the port, and sets EMULATOR_PID,
# EMULATOR_PORT, EMULATOR_URL (http://127.0.0.1:PORT) and EMULATOR_LOG (its
# stderr).  It returns non-zero, with the emulator's stderr on ours, if the
# emulator exits first (a refused data file exits 2).

EMULATOR_TOP=${EMULATOR_TOP:-$(cd "$(dirname "${BASH_SOURCE:-$0}")/../.." 2>/dev/null && pwd)}
EMULATOR_BIN=${EMULATOR_BIN:-$EMULATOR_TOP/test/emulator/modelarts-emulator}
EMULATOR_PROJECT=0f1e2d3c4b5a69788796a5b4c3d2e1f0

emulator_build() {
	_emu_out=$(make -s -C "$EMULATOR_TOP" emulator WERROR="${WERROR-}" 2>&1) || {
		printf '%s\n' "$_emu_out" >&2
		echo "emulator_build: the emulator does not build (make emulator)" >&2
		return 1
	}
}

emulator_start() {
	_emu_dir=$(mktemp -d "${TMPDIR:-/tmp}/emulator.XXXXXX") || return 1
	EMULATOR_LOG=$_emu_dir/stderr
	"$EMULATOR_BIN" --port 0 "$@" >"$_emu_dir/stdout" 2>"$EMULATOR_LOG" &
	EMULATOR_PID=$!
	_emu_i=0
	while [ ! -s "$_emu_dir/stdout" ]; do
		if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
			wait "$EMULATOR_PID"; _emu_rc=$?
			cat "$EMULATOR_LOG" >&2
			EMULATOR_PID=
			return $_emu_rc
		fi
		_emu_i=$((_emu_i + 1))
		if [ $_emu_i -ge 600 ]; then
			echo "emulator_start: no port after 30 s" >&2
			emulator_stop
			return 1
		fi
		sleep 0.05
	done
	# the port line is complete once the newline is there
	while ! grep -q '^[0-9][0-9]*$' "$_emu_dir/stdout"; do sleep 0.01; done
	EMULATOR_PORT=$(head -n1 "$_emu_dir/stdout")
	EMULATOR_URL=http://127.0.0.1:$EMULATOR_PORT
	export EMULATOR_PID EMULATOR_PORT EMULATOR_URL EMULATOR_LOG EMULATOR_PROJECT
}

emulator_stop() {
	if [ -n "${EMULATOR_PID:-}" ]; then
		kill -TERM "$EMULATOR_PID" 2>/dev/null
		wait "$EMULATOR_PID" 2>/dev/null
		EMULATOR_PID=
	fi
}
