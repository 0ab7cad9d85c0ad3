#!/usr/bin/env bash
# Side-by-side ingest of the bench's 1,000 generated scans by two or more archivist
# binaries (for example one built from an older commit), alternating, on a fresh ext4
# without a journal (like the machine's root file system) in a loop image, so that no run
# meets the inodes an earlier one deleted: ext4 avoids reusing recently deleted inodes,
# and creating files after a mass deletion was several times slower. Needs root (mount).
#
#   benches/ab_ingest.sh ROUNDS BIN...        e.g. benches/ab_ingest.sh 5 /tmp/old target/release/archivist
#
# Prints, per binary, the sorted wall and CPU (user + sys) seconds of its rounds.
set -euo pipefail
rounds=$1; shift
scans="$(dirname "$0")/../target/bench-data/scans-1000"
[ -d "$scans" ] || { echo "run 'cargo bench --bench ingest' once to generate $scans" >&2; exit 2; }
img=$(mktemp /var/tmp/ab-ingest.XXXXXX.img); mnt=$(mktemp -d)
cleanup() { umount "$mnt" 2>/dev/null || true; rm -f "$img"; rmdir "$mnt"; }
trap cleanup EXIT
truncate -s 6G "$img"
mkfs.ext4 -q -F -O ^has_journal "$img"
mount -o loop "$img" "$mnt"
cp -r "$scans" "$mnt/src"; sync
declare -A wall cpu
for r in $(seq "$rounds"); do
  for b in "$@"; do
    sync; sleep 1
    t=$( { /usr/bin/time -f "%e %U %S" "$b" --root "$mnt/$r-$(basename "$b")" --quiet --json ingest "$mnt/src" >/dev/null; } 2>&1 | tail -1)
    read -r w u s <<<"$t"
    wall[$b]="${wall[$b]:-} $w"; cpu[$b]="${cpu[$b]:-} $(echo "$u + $s" | bc)"
  done
done
for b in "$@"; do
  echo "$b wall: $(tr ' ' '\n' <<<"${wall[$b]}" | sort -n | xargs)"
  echo "$b cpu:  $(tr ' ' '\n' <<<"${cpu[$b]}" | sort -n | xargs)"
done
