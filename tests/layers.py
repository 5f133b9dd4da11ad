#!/usr/bin/env python3
"""tests/layers.py: the structure check (src/README draws the layers).

Builds the dependency graph between drover's modules and fails on any
cycle.  A module is one .c file under src/; a header is a node of its own
(an interface: drover.h declares the functions of many modules).  Edges:

- includes: a .c or .h file's #include "..." lines, to the header;
- calls: `nm` of each module's object file.  A symbol an object leaves
  undefined and another module's object defines is an edge to that module
  (a call, or the address of a function or a variable taken).

A cycle is thus either a loop of calls between modules or a loop of
includes between headers.

A callback registered from above leaves no edge upward (the function is
static, its address is passed down at run time): that is the sanctioned way
up, together with the event bus.

Prints each module's layer (0: depends on nothing of ours; n: one more than
the highest module it uses), then every strongly connected component of
more than one module with the edges inside it, and exits 1 if there is
one.  Exit 99 if the objects are missing (build first).

usage: tests/layers.py [SRCDIR [BUILDDIR]]
(default: $DROVER_SRCDIR or the directory above this script, and the
current directory, which is where `make check` runs it)
"""
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(src):
    """{name: path} of every .c and .h under src/ (names must be unique)."""
    out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if f.endswith(('.c', '.h')):
                if f in out:
                    sys.exit('layers: two files named %s' % f)
                out[f] = os.path.join(root, f)
    return out


def modules(files, src):
    """{file name: node name}: core/job.c is module core/job, a header
    keeps its .h (core/bus.h)."""
    out = {}
    for f, path in files.items():
        rel = os.path.relpath(path, src)
        out[f] = rel[:-2] if f.endswith('.c') else rel
    return out


def nm(path):
    """(defined, undefined) global symbols of an object file."""
    out = subprocess.run(['nm', '-g', path], check=True,
                         capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == 'U':
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] not in 'Uw':
            defined.add(parts[2])
    return defined, undefined


def find_object(build, src, path):
    rel = os.path.relpath(path, src)[:-2] + '.o'
    obj = os.path.join(build, 'src', rel)
    if not os.path.exists(obj):
        sys.stderr.write('layers: %s missing: build first\n' % obj)
        sys.exit(99)
    return obj


def graph(src, build):
    files = sources(src)
    mod = modules(files, src)
    edges = {}      # (a, b) -> set of reasons
    nodes = set(mod.values())

    def add(a, b, why):
        if a != b:
            edges.setdefault((a, b), set()).add(why)

    for f, path in files.items():
        with open(path, encoding='utf-8') as fh:
            for inc in INCLUDE.findall(fh.read()):
                inc = os.path.basename(inc)
                if inc in mod:
                    add(mod[f], mod[inc], '#include "%s" (%s)' % (inc, f))
    owner, needs = {}, {}
    for f, path in files.items():
        if not f.endswith('.c'):
            continue
        defined, undefined = nm(find_object(build, src, path))
        for s in defined:
            owner[s] = mod[f]
        needs[mod[f]] = undefined
    for m, undefined in needs.items():
        for s in undefined:
            if s in owner:
                add(m, owner[s], s)
    return nodes, edges


def sccs(nodes, succ):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(succ[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(succ[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return out


def layers(nodes, succ, comps):
    """Layer of each module; a cycle counts as one node."""
    comp_of = {m: i for i, c in enumerate(comps) for m in c}
    level = {}

    def lvl(c):
        if c not in level:
            level[c] = 0    # tarjan's order is topological: no recursion loop
            level[c] = max([lvl(comp_of[w]) + 1 for m in comps[c]
                            for w in succ[m] if comp_of[w] != c] or [0])
        return level[c]

    return {m: lvl(comp_of[m]) for m in nodes}


def self_test():
    """The check must be able to fail: two modules that call each other
    are a cycle, a call one way is not.  Skipped without a C compiler."""
    import shutil
    import tempfile
    cc = os.environ.get('CC', 'cc').split()[0]
    if shutil.which(cc) is None:
        print('self-test skipped: no %s' % cc)
        return
    x = 'int y(void);\nint x(void) { return y(); }\n'
    for y, want in (('int y(void) { return 1; }\n', False),
                    ('int x(void);\nint y(void) { return x(); }\n', True)):
        tmp = tempfile.mkdtemp(prefix='layers.')
        try:
            src = os.path.join(tmp, 'src')
            for rel, text in (('a/x.c', x), ('b/y.c', y)):
                path = os.path.join(src, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, 'w') as f:
                    f.write(text)
                subprocess.run([cc, '-c', path, '-o', path[:-2] + '.o'],
                               check=True)
            nodes, edges = graph(src, tmp)
            succ = {n: set() for n in nodes}
            for e in edges:
                succ[e[0]].add(e[1])
            cyc = [c for c in sccs(nodes, succ) if len(c) > 1]
            if bool(cyc) != want:
                sys.exit('layers: self-test failed: cycles %s, expected %s'
                         % (cyc, 'one' if want else 'none'))
        finally:
            shutil.rmtree(tmp)
    print('self-test: a call cycle is found, a call one way is not')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get('DROVER_SRCDIR', os.path.dirname(here)), 'src')
    if len(sys.argv) > 1 and os.path.basename(src.rstrip('/')) != 'src':
        src = os.path.join(src, 'src')
    build = sys.argv[2] if len(sys.argv) > 2 else '.'
    self_test()
    nodes, edges = graph(src, build)
    succ = {n: set() for n in nodes}
    for a, b in edges:
        succ[a].add(b)
    sys.setrecursionlimit(10000)
    comps = sccs(nodes, succ)
    level = layers(nodes, succ, comps)
    verbose = os.environ.get('LAYERS_HEADERS') is not None
    shown = [m for m in nodes if verbose or not m.endswith('.h')]
    top = max(level[m] for m in shown)
    print('%d modules and %d headers; the modules on %d layers (0 = '
          'bottom%s)' % (len([m for m in nodes if not m.endswith('.h')]),
                         len([m for m in nodes if m.endswith('.h')]),
                         top + 1, '' if verbose else
                         ', headers counted, not shown: LAYERS_HEADERS=1'))
    for n in range(top, -1, -1):
        row = sorted(m for m in shown if level[m] == n)
        if row:
            print('  %2d: %s' % (n, ' '.join(row)))
    bad = [c for c in comps if len(c) > 1]
    for c in bad:
        print('CYCLE: %s' % ' '.join(c))
        for a in c:
            for b in sorted(succ[a]):
                if b in c:
                    print('    %s -> %s: %s' % (a, b, ', '.join(
                        sorted(edges[(a, b)])[:6])))
    if bad:
        print('FAIL: %d cycles between modules' % len(bad))
        return 1
    print('ok: no include or call cycle between modules')
    return 0


if __name__ == '__main__':
    sys.exit(main())
