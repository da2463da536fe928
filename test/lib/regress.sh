# What the pg_regress suite (sql/, expected/) needs besides a server with the
# extension; source after test/lib/emulator.sh, from the top of the tree.
#
# regress_emulator_start DIR   starts the emulator the regression tests talk
#   to: the sample data, an access log the tests read back (DIR/access.log),
#   and faults on job IDs that no sample job uses; copies the sample to
#   DIR/sample.json for pg_read_file; exports MODELARTS_ENDPOINT,
#   MODELARTS_ACCESS_LOG and MODELARTS_SAMPLE (read by sql/*.sql with
#   \getenv).  DIR must be readable by the server's system user.
#   emulator_stop stops it.
# Used by test/run-tests.sh and test/installcheck.sh.

regress_emulator_start() {
  local dir=$1
  emulator_start --data test/data/sample.json --access-log "$dir/access.log" \
    --fault 500:1@/data-annotations/9500/ \
    --fault 503:1@/data-annotations/9503/ \
    --fault 429:1:1@/data-annotations/9429/ \
    --fault 429:2:1@tag_name=indoor\&per_page=7 \
    --fault badjson:1@/data-annotations/9601/ \
    --fault shape:1@/data-annotations/9605/ \
    --fault truncate:1@/data-annotations/9602/ \
    --fault close:1@/data-annotations/9603/ \
    --fault stall:1:5000@/data-annotations/9604/ \
    || return 1
  chmod 644 "$dir/access.log"
  export MODELARTS_ENDPOINT=$EMULATOR_URL
  export MODELARTS_ACCESS_LOG=$dir/access.log
  # the server reads the sample with pg_read_file: give it a copy it can
  # reach whatever the permissions of the checkout
  cp test/data/sample.json "$dir/sample.json"
  chmod 644 "$dir/sample.json"
  export MODELARTS_SAMPLE=$dir/sample.json
}
