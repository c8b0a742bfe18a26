#!/usr/bin/env bash
# Replay throughput: godo replay vs Debian's laurel vs ausearch, side by side on the same 20x corpus.
# Prints records/s and peak memory of each, and godo's ratio to laurel.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$here"
copies="${COPIES:-20}"
work="${WORK:-/tmp/godo-bench}"
mkdir -p "$work"
corpus="$work/corpus-${copies}x.log"
src=tests/Godo.Agent.Tests/Data/corpus/docker-basic/audit.log
if [ ! -f "$corpus" ] || [ "$src" -nt "$corpus" ]; then
  echo "building the ${copies}x corpus..." >&2
  python3 bench/make-corpus.py "$src" "$copies" "$corpus"
fi
records=$(wc -l < "$corpus")
mb=$(( $(stat -c %s "$corpus") / 1048576 ))
for tool in laurel ausearch; do command -v $tool >/dev/null || { echo "bench: $tool is missing (apt-get install laurel auditd)" >&2; exit 2; }; done
./godo --help >/dev/null   # build first, so the build is not timed

# laurel writes its JSON log into a directory of its own; run it unprivileged-style with a private config.
cat > "$work/laurel.toml" <<TOML
directory = "$work/laurel"
statusreport-period = 0
[auditlog]
file = "laurel.log"
size = 1000000000
generations = 2
[transform]
execve-argv = [ "array" ]
[enrich]
pid = true
container = true
script = false
TOML
mkdir -p "$work/laurel"

measure() { # name, then the command; stdin is the corpus
  local name=$1; shift
  local best=999999 rss=0
  for run in 1 2 3; do
    rm -rf "$work/laurel"/*
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" < "$corpus" > /dev/null 2> "$work/$name.err" || { echo "bench: $name failed:" >&2; tail -5 "$work/$name.err" >&2; exit 1; }
    read -r secs kb < "$work/time.txt"
    if awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    if [ "$kb" -gt "$rss" ]; then rss=$kb; fi
  done
  printf "%-10s %8.2f s  %12.0f records/s  peak RSS %5d MiB\n" "$name" "$best" "$(awk "BEGIN{print $records/$best}")" $((rss/1024))
  echo "$best" > "$work/$name.secs"
}

echo "input: $corpus ($records records, $mb MiB), best of 3 runs each"
measure godo ./godo replay - -q --json
measure laurel laurel -c "$work/laurel.toml"
measure ausearch ausearch --raw -if /dev/stdin
g=$(cat "$work/godo.secs"); l=$(cat "$work/laurel.secs"); a=$(cat "$work/ausearch.secs")
echo "godo is $(awk "BEGIN{printf \"%.1f\", $l/$g}")x laurel and $(awk "BEGIN{printf \"%.1f\", $a/$g}")x ausearch"
