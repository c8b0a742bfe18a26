#!/usr/bin/env python3
"""Where a live agent's audit records come from: a raw log written by `godo agent --record FILE`, grouped by the
process that made each syscall (its exe and comm, or a label for pids the caller names) and by the syscall.

usage: records-by-source.py LOG SECONDS [LABEL=PID]... [--top N]

Every record of an event (SYSCALL, EXECVE, PATH, PROCTITLE, EOE...) counts for the process of its SYSCALL record; a
clone/clone3 that made a thread (the child's pid shares the caller's thread group, seen later as pid= of a record of
the same exe) cannot be told from one that made a process in every case, so both are listed as clone."""
import re
import sys
from collections import Counter, defaultdict

SYSCALLS = {56: "clone", 435: "clone3", 57: "fork", 58: "vfork", 59: "execve", 322: "execveat", 231: "exit_group",
            61: "wait4", 247: "waitid", 62: "kill", 200: "tkill", 234: "tgkill"}
# i386 numbers (arch=40000003)
SYSCALLS32 = {120: "clone", 435: "clone3", 2: "fork", 190: "vfork", 11: "execve", 358: "execveat", 252: "exit_group",
              7: "waitpid", 114: "wait4", 284: "waitid", 37: "kill", 238: "tkill", 270: "tgkill"}
SERIAL = re.compile(rb"msg=audit\((\d+)\.(\d+):(\d+)\)")
FIELD = re.compile(rb'(\w+)=("([^"]*)"|\S+)')
HEX = re.compile(rb"[0-9A-F]+")


def text(value):
    """An audit string field: quoted as is, or hex when it holds a space or anything unusual (".NET TP Worker")."""
    if value.startswith(b'"'):
        return value.strip(b'"').decode(errors="replace")
    if HEX.fullmatch(value) and len(value) % 2 == 0:
        try:
            return bytes.fromhex(value.decode()).decode(errors="replace")
        except ValueError:
            pass
    return value.decode(errors="replace")


def main(argv):
    import argparse
    parser = argparse.ArgumentParser(description="Where a live agent's audit records come from (a `godo agent --record` log).")
    parser.add_argument("log")
    parser.add_argument("seconds", type=float, help="how long the log was recorded")
    parser.add_argument("label", nargs="*", help="LABEL=PID: name a process (godo's own) instead of its exe")
    parser.add_argument("--top", type=int, default=15)
    a = parser.parse_args(argv[1:])
    path, seconds, top = a.log, a.seconds, a.top
    labels = {}
    for pair in a.label:
        name, _, pid = pair.rpartition("=")
        if not name or not pid.isdigit():
            parser.error(f"bad LABEL=PID: {pair}")
        labels[pid.encode()] = name

    records = Counter()          # serial -> records in the event
    owner = {}                   # serial -> (source, syscall)
    kinds = Counter()            # record type -> count
    total = 0
    with open(path, "rb") as f:
        for line in f:
            m = SERIAL.search(line)
            if not m:
                continue
            total += 1
            serial = m.group(3)
            records[serial] += 1
            kind = line.split(b" ", 1)[0][5:]
            kinds[kind.decode(errors="replace")] += 1
            if kind != b"SYSCALL":
                continue
            fields = dict((k, v) for k, v, _ in FIELD.findall(line))
            pid = fields.get(b"pid", b"?")
            arch32 = fields.get(b"arch", b"") == b"40000003"
            number = int(fields.get(b"syscall", b"-1"))
            name = (SYSCALLS32 if arch32 else SYSCALLS).get(number, str(number))
            if pid in labels:
                source = labels[pid]
            else:
                exe, comm = text(fields.get(b"exe", b"?")), text(fields.get(b"comm", b"?"))
                source = f"{exe} ({comm})"
            owner[serial] = (source, name)

    by_source = defaultdict(lambda: [0, 0, Counter()])
    for serial, n in records.items():
        source, name = owner.get(serial, ("(no SYSCALL record: daemon/config records)", "-"))
        row = by_source[source]
        row[0] += n
        row[1] += 1
        row[2][name] += 1
    events = len(records)
    print(f"  {total / seconds:.1f} audit records/s in {events / seconds:.1f} events/s over {seconds:.0f} s "
          f"({', '.join(f'{k} {v / seconds:.1f}' for k, v in kinds.most_common(6))})")
    print(f"  {'records/s':>9} {'events/s':>9}  source (exe (comm), or godo's own), syscalls")
    for source, (n, e, calls) in sorted(by_source.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"  {n / seconds:9.2f} {e / seconds:9.2f}  {source}: {', '.join(f'{k} {v}' for k, v in calls.most_common(4))}")
    rest = sorted(by_source.items(), key=lambda kv: -kv[1][0])[top:]
    if rest:
        print(f"  {sum(r[1][0] for r in rest) / seconds:9.2f} {sum(r[1][1] for r in rest) / seconds:9.2f}  {len(rest)} other sources")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
