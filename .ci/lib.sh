# Helpers of .ci/run and its parts; source from the top of the tree.

# check NAME COMMAND...: one counted check; its output goes to the log
ci_passed=0
ci_failed=0
check() {
  local name=$1; shift
  if "$@"; then
    ci_passed=$((ci_passed + 1)); echo "ok - $name"
  else
    ci_failed=$((ci_failed + 1)); echo "not ok - $name"
  fi
}

# copy_tree DEST: the tree as committed plus uncommitted changes and new
# files, without build products or anything .gitignore leaves out (a fresh
# clone's content); without git, everything but .git and build products
copy_tree() {
  local dest=$1
  mkdir -p "$dest"
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf - | tar -xf - -C "$dest"
  else
    tar --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
      --exclude=test/emulator/modelarts-emulator -cf - . | tar -xf - -C "$dest"
  fi
  chmod 755 "$dest"
}

# sum_line FILE PREFIX: "P F" from the last "PREFIX N passed, N failed"
# line of FILE ("0 1" when there is none)
sum_line() {
  local line
  line=$(grep -E "^$2[0-9]+ passed, [0-9]+ failed$" "$1" | tail -n1)
  if [ -z "$line" ]; then echo "0 1"; return; fi
  line=${line#"$2"}
  echo "${line%% passed*} $(echo "$line" | sed 's/.*, \([0-9]*\) failed$/\1/')"
}
