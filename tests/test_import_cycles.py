"""No module of core or gui reaches itself through its imports.

grimp reads every import statement, those inside functions and under TYPE_CHECKING included, so a
cycle hidden in a lazy import or an annotation counts as much as one at the top of a file.
"""

from __future__ import annotations

import grimp


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (each sorted), found by Tarjan's
    algorithm without recursion; a module that imports itself counts as a cycle of one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            step = next(imported, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1 or graph.direct_import_exists(importer=module, imported=module):
                    cycles.append(sorted(component))
    return sorted(cycles)


def _described(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    members = set(cycle)
    lines = [" ↔ ".join(cycle)]
    for importer in cycle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            where = [d["line_number"] for d in graph.get_import_details(importer=importer,
                                                                          imported=imported)]
            lines.append(f"    {importer} imports {imported} (line {', '.join(map(str, where))})")
    return "\n".join(lines)


def test_the_cycle_finder_finds_cycles_and_only_cycles():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"),  # a → b → c → a
                               ("p.c", "p.d"), ("p.d", "p.e"),  # a chain out of it: no cycle
                               ("p.f", "p.g"), ("p.g", "p.f")]:  # f ↔ g
        graph.add_import(importer=importer, imported=imported)
    graph.add_module("p.h")
    assert import_cycles(graph) == [["p.a", "p.b", "p.c"], ["p.f", "p.g"]]
    graph.remove_import(importer="p.g", imported="p.f")
    assert import_cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_core_and_gui_have_no_import_cycle():
    graph = grimp.build_graph("core", "gui", cache_dir=None)
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(_described(graph, c) for c in cycles)
