#!/usr/bin/env bash
# Runs godo's whole test suite on this machine, real kernel audit and real Docker included.
# It first sets the machine up (Docker engine, test image, auditd tools, chromium), so it works on a fresh machine.
set -uo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cd "$here"

if [ "$(id -u)" != 0 ]; then
  echo "test.sh: the tests use the kernel's audit subsystem and Docker: run as root" >&2
  exit 2
fi
bash scripts/setup.sh || { echo "test.sh: setup failed" >&2; exit 1; }
# The tests run ./godo as users do. Its first run builds the Release binary (ReadyToRun of every library, minutes on
# two cores): build it here, once, rather than inside the first test that happens to start it.
echo "test.sh: building ./godo" >&2
./godo --help > /dev/null || { echo "test.sh: ./godo does not build" >&2; exit 1; }

results="$here/TestResults"
rm -rf "$results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# One test project at a time: kernel audit state is global, and Docker tests share one engine.
dotnet test godo.sln -m:1 --logger "trx" --results-directory "$results" \
  --blame-hang --blame-hang-timeout 15m "$@"
rc=$?

# One closing line over every project: "N passed, N failed".
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    if c is None: continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0) or 0)
    skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
if [ $rc -eq 0 ] && ! ls "$results"/*.trx >/dev/null 2>&1; then
  echo "test.sh: no test results were written" >&2
  exit 1
fi
exit $rc
