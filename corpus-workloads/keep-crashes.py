#!/usr/bin/python3
# keep-crashes.py OUTDIR: run after shared/tools/filter.py. filter.py keeps the SYSCALL events of the workload's
# and Docker's lineage and drops every event without a SYSCALL record, which drops core dumps too: ANOM_ABEND is a
# standalone record (own serial, no SYSCALL). This puts back, in serial order, the ANOM_ABEND records of processes
# the filtered log knows (a pid= of a kept SYSCALL record), so a crash in the workload stays in the corpus.
import re, sys
out = sys.argv[1]
serial = re.compile(r"msg=audit\(\d+\.\d+:(\d+)\)")
kept = open(f"{out}/audit.log").read().splitlines()
known = {int(m.group(1)) for l in kept if l.startswith("type=SYSCALL") for m in [re.search(r" pid=(\d+)", l)] if m}
crashes = [l for l in open(f"{out}/audit.raw.log").read().splitlines()
           if l.startswith("type=ANOM_ABEND") and int(re.search(r" pid=(\d+)", l).group(1)) in known]
merged, i = [], 0
for c in crashes:
    s = int(serial.search(c).group(1))
    while i < len(kept) and int(serial.search(kept[i]).group(1)) < s:
        merged.append(kept[i]); i += 1
    merged.append(c)
merged.extend(kept[i:])
open(f"{out}/audit.log", "w").write("\n".join(merged) + "\n")
print(f"{len(crashes)} ANOM_ABEND records kept")
