"""Produce the book's stored outputs: execute notebooks top to bottom, each in a fresh kernel.

    python tests/execute_notebooks.py                 # every notebook in _toc.yml
    python tests/execute_notebooks.py book/ch01_*.ipynb

This is the only way outputs get into the repository; nbval then checks that a fresh run still
prints the same. It prints each notebook's wall time (the per-chapter budget is about 90 s).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from booktoc import ROOT, toc_notebooks
from nbclient import NotebookClient

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def execute(path: Path) -> float:
    """Execute one notebook in place in a fresh kernel; return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = KERNELSPEC
    start = time.perf_counter()
    # No per-cell timestamps: they would change every cell on every run and hide real changes.
    NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    # Drop the widget state: the website has no kernel, so widgets are live only in Colab or
    # Jupyter, and each has a static twin figure. (nbclient needs the state while it runs: its
    # Output-widget capture fails without it.)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    os.environ.setdefault("PYTHONHASHSEED", "0")
    paths = [Path(a).resolve() for a in argv] or toc_notebooks()
    total = 0.0
    for path in paths:
        seconds = execute(path)
        total += seconds
        print(f"{seconds:7.1f} s  {path.relative_to(ROOT)}", flush=True)
    print(f"{total:7.1f} s  total")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
