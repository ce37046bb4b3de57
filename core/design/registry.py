"""String ids → blocks, activations, losses, optimizers, schedules, initializers and data sets."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from core.design.errors import shown

T = TypeVar("T")

_PROVIDERS = (
    "core.engine.activations",
    "core.engine.losses",
    "core.engine.optimizers",
    "core.engine.initializers",
    "core.data.datasets",
    "core.data.sequences",
)
# Block kinds: one module each in this package, every one imported.
BLOCKS_PACKAGE = "core.engine.blocks"
_loaded = False


def load_all() -> None:
    """Import every module that registers something: the providers and each core/blocks module."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _PROVIDERS:
        importlib.import_module(module)
    blocks_package = importlib.import_module(BLOCKS_PACKAGE)  # by name: the registry sits below them
    for info in pkgutil.iter_modules(blocks_package.__path__):
        importlib.import_module(f"{BLOCKS_PACKAGE}.{info.name}")


class Registry(Generic[T]):
    """A named table of things, each under a unique string id."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, key: str) -> Callable[[T], T]:
        def add(item: T) -> T:
            if key in self._items and self._items[key] is not item:
                raise ValueError(f"{self.what} {key!r} is registered twice")
            self._items[key] = item
            return item

        return add

    def get(self, key: str) -> T:
        load_all()
        try:
            return self._items[key]
        except KeyError:
            known = ", ".join(sorted(self._items))
            raise KeyError(f"unknown {self.what} {shown(key)} (known: {known})") from None

    def __contains__(self, key: object) -> bool:
        load_all()
        return isinstance(key, str) and key in self._items

    def __iter__(self) -> Iterator[str]:
        load_all()
        return iter(list(self._items))

    def items(self) -> list[tuple[str, T]]:
        load_all()
        return list(self._items.items())


blocks: Registry[Any] = Registry("block kind")
activations: Registry[Any] = Registry("activation")
losses: Registry[Any] = Registry("loss")
optimizers: Registry[Any] = Registry("optimizer")
schedules: Registry[Any] = Registry("learning-rate schedule")
initializers: Registry[Any] = Registry("initializer")
datasets: Registry[Any] = Registry("data set")
