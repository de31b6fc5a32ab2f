#!/usr/bin/env bash
# Runs every ```sh command block of the README's "## Tour" section exactly
# as printed, in order, from the repository root, with a freshly built
# cxrkit on PATH. A block preceded by "<!-- tour: skip (why) -->" needs a
# GPU or runs until stopped and is reported as skipped; one preceded by
# "<!-- tour: partial (why) -->" must exit 3 (partial), any other block 0.
# Without ../shared/realdata the tour skips cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/realdata ]; then
  echo "README tour: skipped (../shared/realdata not found)"
  exit 0
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/cxrkit" ./cmd/cxrkit
export PATH="$bin:$PATH"
rm -rf out/prepare out/sft out/cases.jsonl out/results.jsonl out/.results.jsonl.lock out/report.json out/report.md out/report.html out/audit_report.json
# One block per record: "mode<TAB>line<TAB>code with \x1f for newlines".
awk '
  /^## / { intour = ($0 ~ /^## Tour/) }
  !intour { next }
  /^<!-- tour: skip/    { mode = "skip"; next }
  /^<!-- tour: partial/ { mode = "partial"; next }
  /^```sh$/ { inblock = 1; start = NR; code = ""; next }
  /^```$/ && inblock { inblock = 0; printf "%s\t%d\t%s\n", (mode == "" ? "run" : mode), start, code; mode = ""; next }
  inblock { code = code $0 "\x1f"; next }
  /^```/ { mode = "" }
' README.md > "$bin/blocks.tsv"
ran=0 skipped=0 failed=0
while IFS=$'\t' read -r mode line code; do
  code=${code//$'\x1f'/$'\n'}
  if [ "$mode" = skip ]; then
    echo "-- README.md:$line skipped (marked: needs a GPU or runs until stopped)"
    skipped=$((skipped + 1))
    continue
  fi
  echo "-- README.md:$line"
  printf '%s' "$code" | sed 's/^/   $ /'
  set +e
  bash -euo pipefail -c "$code" > "$bin/block.log" 2>&1
  rc=$?
  set -e
  want=0
  [ "$mode" = partial ] && want=3
  if [ "$rc" -ne "$want" ]; then
    echo "   exit $rc, want $want:"; tail -20 "$bin/block.log" | sed 's/^/   | /'
    failed=$((failed + 1))
  else
    echo "   exit $rc ok"; ran=$((ran + 1))
  fi
done < "$bin/blocks.tsv"
echo "README tour: $ran passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
