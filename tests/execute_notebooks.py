"""Produce the book's stored outputs: execute notebooks top to bottom, each in a fresh kernel.

    python tests/execute_notebooks.py                 # every notebook in _toc.yml
    python tests/execute_notebooks.py book/ch01_*.ipynb
    python tests/execute_notebooks.py --times-only    # time them, leave the notebooks as they are

This is the only way outputs get into the repository; nbval then checks that a fresh run still
prints the same. It prints each notebook's wall time (budget: 60 s for a new chapter on a 2-core
CPU, 90 s for an existing one) and records it in ``book/timings.json``, with the machine it was
measured on, under "gpu" (when torch sees CUDA: the chapters then train on it) or under the kind of
CPU that ran them, "cpu-avx512" or "cpu-avx2" (see ``cpu_kernels.py``; the two kinds of CPU this
project's machines have differ about twofold in speed), the kind that wrote the stored outputs
marked ``"stored": true``. It refuses to run while the environment plays older kernels than the
machine's (as CI's one-thread run does). The website's status page and each chapter's header are
made from that file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import cpu_kernels
import nbformat
from booktoc import ROOT, toc_notebooks
from jupyter_client import KernelManager
from nbclient import NotebookClient

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
TIMINGS = ROOT / "book" / "timings.json"


def execute(path: Path, *, write: bool = True) -> float:
    """Execute one notebook in a fresh kernel, in place unless ``write`` is False; return the wall
    time in seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = KERNELSPEC
    # The kernel talks to us over Unix sockets in a private folder: over TCP, ipykernel warns
    # that the traffic is unencrypted.
    with tempfile.TemporaryDirectory() as sockets:
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=os.path.join(sockets, "kernel"))
        start = time.perf_counter()
        try:
            # No per-cell timestamps: they would change every cell on every run and hide real
            # changes.
            NotebookClient(nb, km=km, timeout=900, record_timing=False,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            seconds = time.perf_counter() - start
        finally:
            if km.has_kernel:                 # ours to stop: nbclient stops only kernels it made
                km.shutdown_kernel(now=True)
    # Drop the widget state: the website has no kernel, so widgets are live only in Colab or
    # Jupyter, and each has a static twin figure. (nbclient needs the state while it runs: its
    # Output-widget capture fails without it.)
    nb.metadata.pop("widgets", None)
    if write:
        nbformat.write(nb, path)
    return seconds


def machine() -> dict:
    """What the chapters ran on: the device ("gpu", or "cpu-" and the kind of CPU kernels that ran),
    the processor in words, and those kernels."""
    import torch

    threads = torch.get_num_threads()
    kernels, native = cpu_kernels.running_kind(), cpu_kernels.native_kind()
    if torch.cuda.is_available():       # the CPU still draws the data and runs the Python
        return {"device": "gpu", "torch": torch.__version__,
                "machine": f"{torch.cuda.get_device_name(0)}, host CPU with "
                           f"{cpu_kernels.LABELS[kernels]}"}
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    if kernels != native:
        raise RuntimeError(f"this {cpu_kernels.LABELS[native]} machine is playing "
                           f"{cpu_kernels.LABELS[kernels]} (ATEN_CPU_CAPABILITY, "
                           "ONEDNN_MAX_CPU_ISA, ...): the book's outputs and times come from a "
                           "machine's own kernels; unset those variables")
    return {"device": f"cpu-{kernels}", "machine": f"{model}, {threads} threads",
            "kernels": kernels, "torch": torch.__version__}


def book_name(path: Path) -> str:
    """A notebook's key in the timings: its path in the repository (its file name if outside)."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def record(times: dict[Path, float], where: dict, timings: Path = TIMINGS, *,
           stored: bool = True) -> None:
    """Store each notebook's time under its device in ``timings`` (``book/timings.json``).

    ``stored``: this run wrote the notebook's outputs, so its CPU kind is the one they come from
    (marked ``"stored": true``, and every other kind of that notebook ``false``).
    """
    table = json.loads(timings.read_text()) if timings.is_file() else {}
    today = datetime.date.today().isoformat()
    for path, seconds in times.items():
        entry = {"seconds": round(seconds, 1), "machine": where["machine"],
                 "torch": where["torch"], "date": today}
        name = book_name(path)
        runs = table.setdefault(name, {})
        if where["device"].startswith("cpu"):
            entry["kernels"] = where["kernels"]
            old = runs.get(where["device"], {}).get("stored", False)
            if stored:
                for other in runs.values():
                    if "kernels" in other:
                        other["stored"] = False
            entry["stored"] = stored or old
        runs[where["device"]] = entry
        table[name] = dict(sorted(runs.items()))
    order = [p.relative_to(ROOT).as_posix() for p in toc_notebooks()]
    rank = {name: order.index(name) if name in order else len(order) for name in table}
    table = dict(sorted(table.items(), key=lambda item: (rank[item[0]], item[0])))
    timings.write_text(json.dumps(table, indent=1) + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Execute the book's notebooks and time them.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every one in _toc.yml")
    parser.add_argument("--times-only", action="store_true",
                        help="record the times but leave the notebooks' stored outputs as they are "
                             "(on a GPU: the stored outputs are the CPU's, which CI checks)")
    parser.add_argument("--timings", type=Path, default=TIMINGS, help="where to record the times")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    where = machine()
    times = {}
    for path in paths:
        times[path] = execute(path, write=not args.times_only)
        record({path: times[path]}, where, args.timings, stored=not args.times_only)
        print(f"{times[path]:7.1f} s  {book_name(path)}", flush=True)
    print(f"{sum(times.values()):7.1f} s  total on {where['machine']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
