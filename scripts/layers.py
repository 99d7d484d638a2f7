#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""layers.py [DIR]: pheap/'s files call no layer above them.

A file's node is its name without the extension: X.c and its own X.h are
one node. A calls B when A's text calls a function that B defines and A
can see: a function defined in a .c and not static, a static inline
function or a function-like macro of a .h. Calls through pointers are
not seen; declarations are not calls. Prints the calls between nodes and every circle among them
(a set of nodes that call each other); exit status 1 if there is one.
"""
import os
import re
import sys

d = sys.argv[1] if len(sys.argv) > 1 else "pheap"
files = sorted(os.path.join(d, f) for f in os.listdir(d)
               if f.endswith((".c", ".h")))


def strip(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def node(path):
    return os.path.splitext(os.path.basename(path))[0]


texts = {f: strip(open(f, encoding="utf-8").read()) for f in files}
# what stands at the start of a line and ends in ";" is a declaration
# (or a top-level macro such as EXPORT_SYMBOL_GPL()), not a call
decl = re.compile(r"^[A-Za-z_][\w\s\*]*?\(([^;{}]*?)\)[\w\s]*;", re.M | re.S)
owner = {}
# a definition: a name and its parameters at the start of a line (or after
# the return type), then the body's brace on a line of its own
define = re.compile(r"^(static\s+)?([\w\s\*]*?)\b(\w+)\s*\(([^;{]*?)\)\s*\n\{",
                    re.M | re.S)
for f, t in texts.items():
    for m in define.finditer(t):
        static = m.group(1) or "static" in m.group(2).split()
        inline = "inline" in m.group(2) or "__always_inline" in m.group(2)
        if f.endswith(".h") or not static or inline and f.endswith(".h"):
            owner.setdefault(m.group(3), node(f))
    if f.endswith(".h"):
        for m in re.finditer(r"^#\s*define\s+(\w+)\(", t, re.M):
            owner.setdefault(m.group(1), node(f))

calls = {}
for f, t in texts.items():
    me = node(f)
    for m in re.finditer(r"\b(\w+)\s*\(", decl.sub(" ", t)):
        to = owner.get(m.group(1))
        if to and to != me:
            calls.setdefault(me, {}).setdefault(to, set()).add(m.group(1))

# Tarjan's strongly connected components
index, low, stack, on, sccs = {}, {}, [], set(), []


def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on.add(v)
    for w in calls.get(v, {}):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        sccs.append(sorted(comp))


for v in sorted({node(f) for f in files}):
    if v not in index:
        visit(v)
for a in sorted(calls):
    print("%s -> %s" % (a, ", ".join(sorted(calls[a]))))
circles = [c for c in sccs if len(c) > 1]
for c in circles:
    print("circle: " + " ".join(c))
    for a in c:
        for b in sorted(calls.get(a, {})):
            if b in c:
                print("    %s -> %s: %s" % (a, b, ", ".join(sorted(calls[a][b]))))
if circles:
    sys.exit(1)
print("layers: %d files, no circle of calls" % len(files))
