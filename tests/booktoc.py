"""Which documents the book contains, read from ``_toc.yml``
(shared by the tests and the executor)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _files(entries: list[dict]) -> list[str]:
    found = []
    for entry in entries:
        if "file" in entry:
            found.append(entry["file"])
        for key in ("chapters", "sections", "parts"):
            found += _files(entry.get(key, []))
    return found


def toc_documents() -> list[Path]:
    """Every document in ``_toc.yml`` as a path, resolved to its ``.ipynb`` or ``.md`` file."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]] + _files(toc.get("chapters", []) + toc.get("parts", []))
    paths = []
    for name in names:
        matches = [ROOT / f"{name}{ext}" for ext in (".ipynb", ".md")
                   if (ROOT / f"{name}{ext}").is_file()]
        if len(matches) != 1:
            raise FileNotFoundError(f"_toc.yml entry {name!r} matches {len(matches)} files")
        paths.append(matches[0])
    return paths


def toc_notebooks() -> list[Path]:
    """The chapters that are notebooks, in book order."""
    return [p for p in toc_documents() if p.suffix == ".ipynb"]
