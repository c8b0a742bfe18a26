#!/usr/bin/python3
# assemble.py RAWDIR DEST WORKLOAD: after capture.sh and filter.py, writes the corpus files
# (audit.log, snapshots.jsonl, docker-ps.jsonl, kernel-status.txt, workload.sh) into DEST.
import json, os, shutil, sys
raw, dest, workload = sys.argv[1:4]
os.makedirs(dest, exist_ok=True)
for f in ("audit.log", "snapshots.jsonl", "kernel-status.txt"):
    shutil.copyfile(os.path.join(raw, f), os.path.join(dest, f))
shutil.copyfile(workload, os.path.join(dest, "workload.sh"))
os.chmod(os.path.join(dest, "workload.sh"), 0o755)
with open(os.path.join(dest, "docker-ps.jsonl"), "w") as out:
    for line in open(os.path.join(raw, "snapshots.jsonl")):
        cp = json.loads(line)["checkpoint"]
        cs = []
        for l in open(os.path.join(raw, f"dockerps-{cp}.jsonl")):
            if l.strip():
                d = json.loads(l)
                cs.append({"id": d["ID"], "name": d["Names"], "image": d["Image"], "command": d["Command"]})
        out.write(json.dumps({"checkpoint": cp, "containers": cs}) + "\n")
