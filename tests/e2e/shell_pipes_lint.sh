#!/usr/bin/env bash
# The shell tests run with `set -o pipefail`: there `cmd | grep -q PATTERN` fails at random,
# because grep -q exits at the first match and the writer then dies of SIGPIPE (exit 141), which
# pipefail reports as the pipeline's status. This check refuses `| grep -q` in every shell
# script under tests/ and deploy/ that sets pipefail (use `| grep PATTERN >/dev/null`, which
# reads its input to the end).
# Usage: shell_pipes_lint.sh SOURCE_DIR
set -uo pipefail
root=$1
found=0
while IFS= read -r -d '' script; do
  grep -q 'pipefail' "$script" || continue
  if grep -nE '^[^#]*\|[[:space:]]*grep[[:space:]]+-[a-zA-Z]*q' "$script"; then
    echo "FAIL: $script pipes into grep -q under pipefail (lines above)"
    found=1
  fi
done < <(find "$root/tests" "$root/deploy" -name '*.sh' -print0)
[ $found -eq 0 ] && echo "no pipe into grep -q under pipefail"
exit $found
