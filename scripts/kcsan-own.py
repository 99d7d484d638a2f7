#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Keep the KCSAN reports that are pheap's in a kernel log.

usage: kcsan-own.py LOG SYMBOLS

Prints LOG with every "BUG: KCSAN:" report none of whose frames is a
function in SYMBOLS (pheap's functions, one per line) replaced by one
line saying so: the kernel's own races (one in native_stop_other_cpus()
at reboot shows up now and then) are not pheap's to fix. A report with
a pheap frame is kept whole, so the splat check that reads the output
fails on it. Each ignored report's first line goes to stderr.
"""
import re
import sys

FRAME = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)\+0x[0-9a-f]+/0x')
RULE = '=' * 20


def main():
    lines = open(sys.argv[1], errors='replace').read().split('\n')
    own = set(open(sys.argv[2]).read().split())
    out, i = [], 0
    while i < len(lines):
        if not lines[i].startswith('BUG: KCSAN:'):
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith(RULE):
            j += 1
        report = lines[i:j + 1]
        if set(FRAME.findall('\n'.join(report))) & own:
            out.extend(report)
        else:
            out.append('(a KCSAN report with no pheap frame, ignored)')
            print('kunit: ignored, no pheap frame: ' + lines[i],
                  file=sys.stderr)
        i = j + 1
    sys.stdout.write('\n'.join(out))


main()
