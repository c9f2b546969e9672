"""Check the shape of the source tree; exits 1 and prints one line per problem.

Three rules, configured under ``[tool.projector-shape]`` in pyproject.toml (``make test`` runs this
after ``lint-imports``, which checks the layers):

- size: no source file (Python, TypeScript with its tests, CSS) is over ``max-lines``, except those
  listed under ``exceptions``, each with its own ceiling and a reason; an exception whose file is
  back within the limit (or gone) is stale and fails too, so the list only shrinks.
- private names: no module imports a name with a leading underscore (``from .x import _helper``)
  from another module of the package, at module level or inside a function.
- cycles through a package: no import cycle passes through a package's ``__init__``. import-linter's
  ``acyclic_siblings`` contract compares the children of each package and cannot see such a cycle
  (``pkg/__init__`` imports ``pkg.a``, which imports ``pkg``).

Usage: ``python scripts/check_shape.py [--root DIR]`` (DIR defaults to the repository).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 (pytest installs tomli there)
    import tomli as tomllib

TABLE = "tool.projector-shape"
EXCEPTIONS = f"{TABLE}.exceptions"


class ConfigError(Exception):
    """The ``[tool.projector-shape]`` table is missing or malformed."""


@dataclass(frozen=True)
class Exemption:
    """A file allowed over the size limit: its own ceiling and why it stays whole."""

    max_lines: int
    reason: str


@dataclass(frozen=True)
class Config:
    """The rules read from ``[tool.projector-shape]``."""

    max_lines: int
    roots: tuple[str, ...]
    suffixes: frozenset[str]
    skip: tuple[str, ...]
    package: str
    exceptions: Mapping[str, Exemption] = field(default_factory=dict)


def _require(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = table.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' must be a {kind.__name__}, not {value!r}")
    return value


def read_config(pyproject: Path) -> Config:
    """The rules in ``pyproject``; raises ConfigError naming the key to fix."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{pyproject}: {error}") from error
    table = data.get("tool", {}).get("projector-shape")
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: no [{TABLE}] table")
    exceptions: dict[str, Exemption] = {}
    for path, entry in table.get("exceptions", {}).items():
        where = f"[{EXCEPTIONS}] '{path}'"
        if not isinstance(entry, dict):
            raise ConfigError(f'{where}: write {{ max-lines = N, reason = "why it stays whole" }}')
        reason = _require(entry, "reason", str, where).strip()
        if not reason:
            raise ConfigError(f"{where}: the reason is empty; say why the file stays whole")
        exceptions[path] = Exemption(_require(entry, "max-lines", int, where), reason)
    return Config(
        max_lines=_require(table, "max-lines", int, f"[{TABLE}]"),
        roots=tuple(_require(table, "roots", list, f"[{TABLE}]")),
        suffixes=frozenset(_require(table, "suffixes", list, f"[{TABLE}]")),
        skip=tuple(table.get("skip", [])),
        package=_require(table, "package", str, f"[{TABLE}]"),
        exceptions=exceptions,
    )


def source_files(root: Path, config: Config) -> Iterator[str]:
    """The paths, relative to ``root`` and with forward slashes, of every file the limit covers."""
    for top in config.roots:
        for path in sorted((root / top).rglob("*")):
            relative = path.relative_to(root).as_posix()
            parts = PurePosixPath(relative).parts
            if any(
                part.startswith(".") or part in ("__pycache__", "node_modules") for part in parts
            ):
                continue
            if any(relative == s or relative.startswith(s.rstrip("/") + "/") for s in config.skip):
                continue
            if path.is_file() and path.suffix in config.suffixes:
                yield relative


def count_lines(path: Path) -> int:
    """The number of lines in the file at ``path``."""
    return len(path.read_text(encoding="utf-8", errors="replace").splitlines())


def check_sizes(root: Path, config: Config) -> list[str]:
    """A line for each file over its limit and each stale exception."""
    problems = []
    limit = config.max_lines
    where = f"[{EXCEPTIONS}] in pyproject.toml"
    for relative in source_files(root, config):
        lines = count_lines(root / relative)
        exemption = config.exceptions.get(relative)
        if exemption is None and lines > limit:
            problems.append(
                f"{relative}: {lines} lines, limit {limit}: split it by concern (one module per "
                f"capability, part or binder); a file that must stay whole goes under {where} "
                "with a ceiling and a reason"
            )
        elif exemption is not None and lines > exemption.max_lines:
            problems.append(
                f"{relative}: {lines} lines, over its exception's ceiling of {exemption.max_lines} "
                f"(limit {limit}; excepted because: {exemption.reason}): split it, or raise the "
                f"ceiling in {where} if the reason still holds"
            )
    for relative in sorted(config.exceptions):
        path = root / relative
        if not path.is_file():
            problems.append(
                f"{relative}: stale size exception, the file is gone: delete its entry in {where}"
            )
        elif (lines := count_lines(path)) <= limit:
            problems.append(
                f"{relative}: stale size exception, {lines} lines is within the limit of {limit}: "
                f"delete its entry in {where}"
            )
    return problems


# Imports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One name an import statement brings in from a module of the package."""

    importer: str
    line: int
    module: str  # the package's module the name comes from (or the module imported)
    name: str | None  # the attribute taken from ``module``; None when ``module`` itself is imported


def python_modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root`` by its dotted name (a package by its own name)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _known(dotted: str, modules: Mapping[str, Path]) -> str | None:
    """The longest prefix of ``dotted`` that is a module of the package."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if (prefix := ".".join(parts[:end])) in modules:
            return prefix
    return None


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> Iterator[Import]:
    """Every import of a module of the package by ``module``, function-local ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _known(alias.name, modules)) is not None:
                    yield Import(module, node.lineno, target, None)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if (known := _known(base, modules)) is None:
                continue
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    yield Import(module, node.lineno, f"{base}.{alias.name}", None)
                else:
                    yield Import(module, node.lineno, known, alias.name)


def all_imports(root: Path, package: str) -> tuple[dict[str, Path], list[Import]]:
    """The package's modules and every import between them."""
    modules = python_modules(root, package)
    found = [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]
    return modules, found


def check_private_imports(
    root: Path, modules: Mapping[str, Path], found: list[Import]
) -> list[str]:
    """A line for each private name imported from another module of the package."""
    problems = []
    for imp in found:
        where = modules[imp.importer].relative_to(root).as_posix()
        if imp.name is not None and _is_private(imp.name) and imp.module != imp.importer:
            problems.append(
                f"{where}:{imp.line}: imports the private name {imp.name} from {imp.module}: "
                f"make it public there (drop the underscore, it is now part of {imp.module}'s "
                "interface), or move the code that needs it into that module"
            )
        # A private module (pkg._impl) belongs to its package: only modules inside it import it.
        parts = imp.module.split(".")
        for i, part in enumerate(parts):
            owner = ".".join(parts[:i])
            if _is_private(part) and not imp.importer.startswith(owner + "."):
                problems.append(
                    f"{where}:{imp.line}: imports the private module {imp.module} from outside "
                    f"{owner}: make it public, or reach it through {owner}'s public names"
                )
                break
    return problems


def _strongly_connected(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of ``graph`` with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _shortest_cycle(start: str, graph: Mapping[str, set[str]], within: set[str]) -> list[str]:
    """The shortest path from ``start`` back to itself inside ``within`` (breadth first)."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in sorted(graph.get(node, ())):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if succ in within and succ not in previous:
                previous[succ] = node
                queue.append(succ)
    return []  # pragma: no cover - every member of a component lies on a cycle


def check_package_cycles(root: Path, modules: Mapping[str, Path], found: list[Import]) -> list[str]:
    """A line for each import cycle that passes through a package's ``__init__``."""
    graph: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], int] = {}
    for imp in found:
        if imp.module != imp.importer:
            graph.setdefault(imp.importer, set()).add(imp.module)
            lines.setdefault((imp.importer, imp.module), imp.line)
    problems = []
    for component in _strongly_connected(graph):
        for package in sorted(m for m in component if modules[m].name == "__init__.py"):
            cycle = _shortest_cycle(package, graph, component)
            steps = " -> ".join(
                f"{a} (l.{lines[a, b]})" for a, b in zip(cycle, cycle[1:], strict=False)
            )
            where = modules[package].relative_to(root).as_posix()
            problems.append(
                f"{where}: import cycle through the package {package}: {steps} -> {package}: "
                "have the modules inside the package import the module that defines a name, "
                "not the package that re-exports it"
            )
            break  # one cycle per component is enough to act on
    return problems


def main(argv: list[str] | None = None) -> int:
    """Run every check and print the problems; 0 when there are none, 1 if any, 2 on bad config."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    root: Path = parser.parse_args(argv).root.resolve()
    try:
        config = read_config(root / "pyproject.toml")
    except ConfigError as error:
        print(f"check_shape: {error}", file=sys.stderr)
        return 2
    modules, found = all_imports(root, config.package)
    problems = [
        *check_sizes(root, config),
        *check_private_imports(root, modules, found),
        *check_package_cycles(root, modules, found),
    ]
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_shape: {len(problems)} problem(s); the rules are in scripts/check_shape.py")
        return 1
    print(f"check_shape: OK ({len(modules)} modules, files within {config.max_lines} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
