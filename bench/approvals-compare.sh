#!/bin/sh
# Before/after for bench/approvals.ts in one run: the base commit (default 271b07e) in a scratch
# worktree with this branch's benchmark files copied in, and this checkout, taking turns.
#   sh bench/approvals-compare.sh [--seconds 15 …]      (ROUNDS="1 2" by default; BASE=<commit>)
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
BASE=${BASE:-271b07e}
BASE_DIR=${BASE_DIR:-$HERE/../wt-approvals-base}
if [ ! -d "$BASE_DIR" ]; then
  git -C "$HERE" worktree add --detach "$BASE_DIR" "$BASE"
  cp -al "$HERE/node_modules" "$BASE_DIR/node_modules"
  cp -a "$HERE/build" "$BASE_DIR/build"
fi
cp "$HERE/bench/approvals.ts" "$HERE/bench/issuance.ts" "$BASE_DIR/bench/"
cp "$HERE/bench/support/http.ts" "$BASE_DIR/bench/support/"
for round in ${ROUNDS:-1 2}; do
  for side in base after; do
    dir=$HERE
    [ "$side" = base ] && dir=$BASE_DIR
    echo "=== round $round: $side ($(git -C "$dir" rev-parse --short HEAD)) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$dir" && npx tsx bench/approvals.ts "$@") || true
  done
done
