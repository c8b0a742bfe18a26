#!/usr/bin/python3
# check.py CORPUSDIR [RAWDIR]: sanity checks of a recorded corpus and a per-checkpoint summary of the
# container processes (pid, ppid, nspid, state, argv) for review. Docker is shared on the
# recording host: the foreign-activity checks reject a recording during which anyone else
# ran the docker CLI or had containers (their events and processes would be in the corpus).
import json, re, sys
d = sys.argv[1]
audit = open(f"{d}/audit.log").read().splitlines()
snaps = [json.loads(l) for l in open(f"{d}/snapshots.jsonl")]
ps = [json.loads(l) for l in open(f"{d}/docker-ps.jsonl")]
marks = [l for l in audit if "godo-checkpoint" in l]
ok = True
foreign_ok = True
def check(cond, msg, foreign=False):
    global ok, foreign_ok
    print(("ok   " if cond else "FAIL ") + msg)
    if foreign: foreign_ok &= cond
    else: ok &= cond
check(len(marks) == len(snaps), f"{len(marks)} checkpoint markers, {len(snaps)} snapshots")
check([s["checkpoint"] for s in snaps] == [p["checkpoint"] for p in ps], "docker-ps checkpoints match")
ks = open(f"{d}/kernel-status.txt").read()
check(re.search(r"^lost 0$", ks, re.M) is not None, "kernel lost 0: " + ks.replace("\n", "; "))
check(all(not l.startswith("type=EOE") for l in audit), "no EOE records (auditd log)")
if len(sys.argv) > 2:
    # every kernel event reached auditd: the serials of the raw log are contiguous
    # (auditd's own DAEMON_* records have serials of their own)
    ser = sorted({int(m.group(1)) for l in open(f"{sys.argv[2]}/audit.raw.log") if not l.startswith("type=DAEMON_")
                  for m in [re.search(r"msg=audit\(\d+\.\d+:(\d+)\)", l)] if m})
    gaps = [(a, b) for a, b in zip(ser, ser[1:]) if b - a > 1]
    check(not gaps, f"raw log serials {ser[0]}..{ser[-1]} contiguous (gaps: {gaps[:5]})")
# foreign activity: another user's docker CLI or containers during the recording
base = snaps[0]["processes"]
wl = [x["pid"] for x in base if len(x["argv"]) > 1 and x["argv"][0] == "/bin/bash" and x["argv"][1].endswith(".sh")]
check(len(wl) == 1, f"workload pid {wl}")
lineage = set(wl)
foreign_cli = set()
for l in audit:
    if l.startswith("type=SYSCALL"):
        pid = int(re.search(r" pid=(\d+)", l).group(1)); ppid = int(re.search(r" ppid=(\d+)", l).group(1))
        if ppid in lineage: lineage.add(pid)
        if re.search(r'exe="[^"]*/docker"', l) and pid not in lineage: foreign_cli.add(pid)
check(not foreign_cli, f"no docker CLI outside the workload (foreign: {sorted(foreign_cli)})", foreign=True)
daemons = lambda x: x["comm"] in ("containerd", "dockerd") or x["comm"].startswith("containerd-shim")
fhost = {(x["pid"], x["comm"]) for sn in snaps for x in sn["processes"] if not x["container"] and x["pid"] not in lineage and not daemons(x)}
check(not fhost, f"every host process in the snapshots is the workload's or a Docker daemon (foreign: {sorted(fhost)})", foreign=True)
ours = {c["id"] for p in ps for c in p["containers"] if c["name"].startswith("cap-")}
others = {c["name"] for p in ps for c in p["containers"] if not c["name"].startswith("cap-")}
check(not others, f"no foreign containers in docker ps ({sorted(others)})", foreign=True)
stray = {x["container"] for s in snaps for x in s["processes"] if x["container"] and x["container"] not in ours}
check(not stray, f"every container process belongs to a cap- container (stray: {sorted(c[:12] for c in stray)})", foreign=True)
for s, p in zip(snaps, ps):
    ids = {c["id"]: c["name"] for c in p["containers"]}
    procs = [x for x in s["processes"] if x["container"]]
    print(f"== {s['checkpoint']}: {len(p['containers'])} containers, {len(procs)} container processes")
    for x in procs:
        name = ids.get(x["container"], x["container"][:12])
        argv = " ".join(x["argv"])
        if len(argv) > 90: argv = argv[:90] + f"...({len(argv)} chars, {len(x['argv'])} args)"
        print(f"   {name:14} {x['pid']:>7} {x['ppid']:>7} ns{x['nspid']} {x.get('state','?')} {x['comm']:16} {argv}")
    hosts = [x for x in s["processes"] if not x["container"] and x["comm"] not in ("containerd", "dockerd") and not x["comm"].startswith("containerd-shim")]
    for x in hosts:
        argv = " ".join(x["argv"])[:90]
        print(f"   {'(host)':14} {x['pid']:>7} {x['ppid']:>7} {x.get('state','?')} {x['comm']:16} {argv}")
# exit 0: all good; 1: a check failed; 3: only the foreign-activity checks failed
# (someone else used Docker during the recording: record again)
sys.exit(1 if not ok else (0 if foreign_ok else 3))
