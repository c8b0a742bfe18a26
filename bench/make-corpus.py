#!/usr/bin/env python3
"""Builds an N-times corpus: the log repeated with serials and times shifted so every copy follows the last.
usage: make-corpus.py IN.log N OUT.log"""
import re, sys

src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(src, 'rb').read().splitlines()
hdr = re.compile(rb'msg=audit\((\d+)\.(\d+):(\d+)\)')
times = [int(m.group(1)) * 1000 + int(m.group(2)) for m in map(hdr.search, lines) if m]
serials = [int(m.group(3)) for m in map(hdr.search, lines) if m]
span_ms = max(times) - min(times) + 1000
span_serial = max(serials) - min(serials) + 1
with open(out, 'wb') as f:
    for k in range(n):
        def shift(m):
            t = int(m.group(1)) * 1000 + int(m.group(2)) + k * span_ms
            return b'msg=audit(%d.%03d:%d)' % (t // 1000, t % 1000, int(m.group(3)) + k * span_serial)
        for line in lines:
            f.write(hdr.sub(shift, line, count=1) + b'\n')
