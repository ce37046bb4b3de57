"""What the wheel ships: every example, the icon and the desktop entry are package data, the
entry points name real functions (the wheel check in .ci/wheel_check installs and runs them)."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def shipped(package: str) -> set[Path]:
    folder = ROOT / package.replace(".", "/")
    globs = PYPROJECT["tool"]["setuptools"]["package-data"][package]
    return {path for pattern in globs for path in folder.glob(pattern)}


def test_every_example_icon_and_the_desktop_entry_are_package_data():
    resources = ROOT / "resources"
    wanted = {*resources.glob("examples/*.ncanvas"), resources / "examples" / "index.json",
              *resources.glob("icons/*.png"), resources / "icons" / "neuralcanvas.svg",
              resources / "neuralcanvas.desktop"}
    assert len(wanted) > 10
    assert shipped("resources") == wanted  # the README's pictures and the scripts stay out
    assert not any(path.parent == resources and path.suffix == ".png" for path in shipped("resources"))


def test_the_digits_and_their_licence_are_package_data_and_licence_files():
    data = ROOT / "core" / "data"
    assert shipped("core.data") == {data / "digits.csv.gz", data / "digits.LICENSE"}
    assert set(PYPROJECT["project"]["license-files"]) == {"LICENSE", "core/data/digits.LICENSE"}
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_the_commands_name_functions_that_exist_and_no_top_level_main_module_ships():
    entries = {**PYPROJECT["project"]["scripts"], **PYPROJECT["project"]["gui-scripts"]}
    assert set(entries) == {"neuralcanvas", "neuralcanvas-gui"}
    for target in entries.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function))
    assert "py-modules" not in PYPROJECT["tool"]["setuptools"]
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["core*", "gui*",
                                                                               "resources"]
