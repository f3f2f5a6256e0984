"""Codemods that fix the debt the analyzer finds, one file per codemod.

The registry is found by name: every module of this package is imported and each
`Codemod` subclass it defines is registered under its `name`, so adding a
codemod is adding a file. `agent_graph_codemods.tree` picks the files, `agent_graph_codemods.apply` runs
them over a tree, `agent_graph_codemods.pull_request` opens a pull request for the commits.
"""

from __future__ import annotations

import importlib
import pkgutil

from agent_graph_codemods.base import SAFE, UNSAFE, Codemod, CodemodError

__all__ = ["SAFE", "UNSAFE", "Codemod", "CodemodError", "all_codemods", "get_codemod", "select"]

_REGISTRY: dict[str, type[Codemod]] | None = None


def _discover() -> dict[str, type[Codemod]]:
    found: dict[str, type[Codemod]] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Codemod)
                and value.__module__ == module.__name__
                and "name" in vars(value)
            ):
                if value.name in found:
                    raise CodemodError(f"two codemods are named {value.name!r}")
                found[value.name] = value
    return dict(sorted(found.items(), key=lambda item: item[1].code))


def all_codemods() -> dict[str, type[Codemod]]:
    """Every codemod by name, in code order (FIX001, FIX002, ...)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _discover()
    return _REGISTRY


def get_codemod(name: str) -> type[Codemod]:
    registry = all_codemods()
    if name not in registry:
        raise CodemodError(f"no codemod named {name!r} (known: {', '.join(registry)})")
    return registry[name]


def select(spec: str, include_unsafe: bool = True) -> list[type[Codemod]]:
    """`bare-except`, `bare-except,asyncio-run` or `all` (all skips unsafe ones unless asked)."""
    if spec.strip() == "all":
        return [c for c in all_codemods().values() if include_unsafe or c.safety == SAFE]
    names = [part.strip() for part in spec.split(",") if part.strip()]
    if not names:
        raise CodemodError("no codemod named")
    chosen: list[type[Codemod]] = []
    for name in names:
        codemod = get_codemod(name)
        if codemod not in chosen:
            chosen.append(codemod)
    return chosen
