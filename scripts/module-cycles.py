#!/usr/bin/env python3
"""Lists cycles between the modules of each crate of the workspace.

A module depends on another when its code names it by path (`crate::a::…`,
`super::…`, in `use` or in an expression). Two graphs per crate are checked:
the top-level modules (`crate::a` against `crate::b`) and every file module
(`a::x` against `a::y`). Code under `#[cfg(test)]` is left out: a test module
may reach wherever it likes. Exits 1 when a cycle is found.

    python3 scripts/module-cycles.py
"""

import re
import sys
from pathlib import Path

CRATES = ["domain", "store", "commands", "projections", "api", "replay", "migrations", "tests"]
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(src: Path, path: Path) -> tuple:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]):
        return ()
    return tuple(parts)


def code_of(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    # Test code last in a file is left out; so are comments and strings.
    text = text.split("#[cfg(test)]")[0]
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def brace_items(text: str, start: int) -> list:
    """The first identifier of each item of the `{…}` group opening at `start`."""
    depth, item, items = 0, "", []
    for ch in text[start:]:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                items.append(item)
                break
        if depth == 1 and ch == ",":
            items.append(item)
            item = ""
        else:
            item += ch
    names = []
    for item in items:
        m = re.match(r"\s*(" + IDENT + r")", item)
        if m:
            names.append(m.group(1))
    return names


def references(text: str, module: tuple) -> set:
    found = set()
    for m in re.finditer(r"\b(crate|(?:super::)+)(::)?", text):
        if m.group(1) == "crate":
            if not m.group(2):
                continue
            base = ()
            rest = text[m.end():]
            offset = m.end()
        else:
            ups = m.group(1).count("super")
            base = module[: max(len(module) - ups, 0)]
            rest = text[m.end():]
            offset = m.end()
        if rest.startswith("{"):
            for name in brace_items(text, offset):
                found.add(base + (name,))
            continue
        path = re.match(IDENT + r"(?:::" + IDENT + r")*", rest)
        if path:
            found.add(base + tuple(path.group(0).split("::")))
    return found


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    bad = 0
    for crate in CRATES:
        src = root / crate / "src"
        if not src.is_dir():
            continue
        files = {module_of(src, p): p for p in src.rglob("*.rs")}
        modules = set(files)
        file_graph, top_graph = {}, {}
        for module, path in files.items():
            if not module:
                continue
            for ref in references(code_of(path), module):
                # The longest prefix that is a module of this crate.
                target = next(
                    (ref[:n] for n in range(len(ref), 0, -1) if ref[:n] in modules), None
                )
                if target is None or target == module:
                    continue
                # A parent's `mod.rs` declaring its children is not a use of them.
                if target[: len(module)] == module:
                    continue
                file_graph.setdefault("::".join(module), set()).add("::".join(target))
                if target[0] != module[0]:
                    top_graph.setdefault(module[0], set()).add(target[0])
        for kind, graph in (("top-level modules", top_graph), ("file modules", file_graph)):
            for component in cycles(graph):
                bad += 1
                print(f"{crate}: cycle among {kind}: {' <-> '.join(component)}")
    if not bad:
        print("no module cycles in", ", ".join(CRATES))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
