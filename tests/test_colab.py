"""The book where OpenCV is someone else's, and the book played in Colab's environment.

Always run (seconds): ``lectures_lib`` imports without OpenCV (it is an extra, not a hard
dependency: see pyproject.toml), and a function that needs it names what to install.

Run only with ``BOOK_COLAB_TEST=1`` (several minutes; CI runs it from ``.ci/run``), a test that
plays Colab:

1. a fresh virtual environment, outside the repository, holding only what a Colab runtime
   preinstalls that the book needs, at Colab's versions (``tests/colab_env.txt``: ipywidgets 7,
   opencv-python), and a stand-in ``google.colab`` imported at start-up (a ``.pth`` file), so
   that ``"google.colab" in sys.modules`` holds in its kernels as it does in Colab's;
2. every chapter copied to a temporary folder and executed there in a kernel of that environment,
   its setup cell running its own ``%pip install`` with only the URL changed, to this checkout's
   committed HEAD (``git+file://<root>@<sha>``: uncommitted changes are not installed); a chapter
   passes when every cell runs (its asserts hold), outputs are not compared (nbval does that);
3. after each chapter: one package provides ``cv2`` (Colab's opencv-python), every preinstalled
   package is as it was (same version, not reinstalled), and lectures_lib is HEAD's;
4. the library's widgets, driven under ipywidgets 7 with deprecation warnings as errors.

Where it is not Colab: Python is the one running the tests (3.11; Colab has 3.13) and torch is
2.13.0 (Colab has 2.11.0): torch 2.13.0+cpu for Python 3.11 is the only CPU build on this
project's machines, and any other torch from PyPI is a multi-GB CUDA build.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import yaml
from booktoc import ROOT, toc_notebooks
from nbclient import NotebookClient

from lectures_lib.data import video_io
from lectures_lib.flow import reference as flow_reference

ENV_FILE = Path(__file__).with_name("colab_env.txt")
KERNEL = "colab-played"


# --- OpenCV is an extra: missing, it is named where it is needed ---------------------------------

@pytest.mark.parametrize("call", [
    lambda path: video_io.read_video(path),
    lambda path: video_io.write_video(path, np.zeros((2, 4, 4, 3), "uint8"), fps=1),
    lambda path: flow_reference.farneback(*torch.rand(2, 16, 16)),
    lambda path: flow_reference.dis(*torch.rand(2, 16, 16)),
], ids=["read_video", "write_video", "farneback", "dis"])
def test_a_missing_opencv_is_named_where_it_is_needed(monkeypatch, tmp_path, call):
    monkeypatch.setitem(sys.modules, "cv2", None)           # `import cv2` now fails, as if missing
    (tmp_path / "clip.avi").write_bytes(b"")
    with pytest.raises(ImportError, match="pip install opencv-python-headless") as err:
        call(tmp_path / "clip.avi")
    assert "lectures_lib[opencv]" in str(err.value) and err.value.name == "cv2"


@pytest.mark.slow
def test_the_library_imports_without_opencv():
    code = ("import sys, pkgutil, importlib; sys.modules['cv2'] = None; import lectures_lib\n"
            "for m in pkgutil.iter_modules(lectures_lib.__path__):\n"
            "    importlib.import_module('lectures_lib.' + m.name)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- Colab, played --------------------------------------------------------------------------------

needs_colab = pytest.mark.skipif(
    os.environ.get("BOOK_COLAB_TEST") != "1",
    reason="plays Colab in a fresh environment (several minutes): set BOOK_COLAB_TEST=1 to run")


def colab_pins() -> dict[str, str | None]:
    """``tests/colab_env.txt`` as name -> pinned version (None where unpinned)."""
    lines = [line.split("#")[0].strip() for line in ENV_FILE.read_text().splitlines()]
    pairs = (line.partition("==") for line in lines if line)
    return {name: (pin or None) for name, _, pin in pairs}


def say(request, text: str) -> None:
    """Print a line past pytest's capture: the test's report (versions, times)."""
    plugins = request.config.pluginmanager
    with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
        plugins.get_plugin("terminalreporter").write_line(text)


def run(cmd: list, **kwargs) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# Run by the Colab environment's python: who provides cv2, and each watched package's version and
# install stamp (the mtime of its METADATA: a reinstall rewrites it), and how lectures_lib came.
PROBE = """
import importlib.metadata as md, json, os, sys
def stamp(dist):
    meta = [f for f in dist.files or [] if f.name == "METADATA" and f.parent.suffix == ".dist-info"]
    return os.stat(dist.locate_file(meta[0])).st_mtime_ns if meta else None
dists = {d.metadata["Name"].lower(): d for d in md.distributions()}
cv2 = sorted(n for n, d in dists.items() if any(f.parts[0] == "cv2" for f in d.files or []))
watched = {n: [dists[n].version, stamp(dists[n])] if n in dists else None for n in sys.argv[1:]}
lib = dists.get("lectures_lib") or dists.get("lectures-lib")
url = json.loads(lib.read_text("direct_url.json") or "{}") if lib else None
print(json.dumps({"cv2": cv2, "watched": watched, "lectures_lib": url}))
"""


def probe(python: Path) -> dict:
    return json.loads(run([str(python), "-c", PROBE, *colab_pins()]))


def install_line() -> str:
    """The URL in every setup cell's ``%pip install`` (tests/test_book.py checks the cell)."""
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return f'"git+{repo["url"]}@{repo["branch"]}"'


@pytest.fixture(scope="module")
def colab(request):
    """A fresh Colab-like environment: its python, its kernel's env, a work folder, HEAD's sha."""
    if sys.version_info[:2] != (3, 11):
        pytest.fail(f"needs Python 3.11 (the only CPU torch build here), got {sys.version}")
    root = Path(tempfile.mkdtemp(prefix="book-colab-"))
    venv, work, kernels = root / "venv", root / "work", root / "jupyter" / "kernels" / KERNEL
    start = time.perf_counter()
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", "-r", str(ENV_FILE)])
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"
                        ]).strip())
    (purelib / "google" / "colab").mkdir(parents=True)
    (purelib / "google" / "colab" / "__init__.py").write_text('"""Colab, played by tests."""\n')
    (purelib / "colab_played.pth").write_text("import google.colab\n")
    built = time.perf_counter() - start
    done = subprocess.run([str(python), "-c", "import cv2"], capture_output=True, text=True)
    assert done.returncode == 0, ("Colab's opencv-python (not headless) needs the system's libGL "
                                  f"and glib (Debian: libgl1 libglib2.0-0):\n{done.stderr}")
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab, played", "language": "python"}))
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    bins = [p for p in env.get("PATH", "").split(os.pathsep)
            if Path(sys.prefix) not in Path(p).parents]             # not the tests' own venv
    env.update(PATH=os.pathsep.join([str(venv / "bin"), *bins]), VIRTUAL_ENV=str(venv),
               PYTHONHASHSEED="0")
    before = probe(python)
    versions = ", ".join(f"{n} {v[0]}" for n, v in before["watched"].items())
    say(request, f"\nColab environment built in {built:.0f} s: {versions}")
    sha = run(["git", "rev-parse", "HEAD"], cwd=ROOT).strip()
    yield {"python": python, "env": env, "work": work, "jupyter": root / "jupyter", "sha": sha,
           "before": before}
    shutil.rmtree(root, ignore_errors=True)


def execute(colab: dict, monkeypatch, path: Path, *, setup_only: bool = False) -> list[float]:
    """Execute a chapter's copy, its setup cell's URL pointed here; seconds (setup cell, rest)."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert install_line() in code[0].source, f"{path.name}: no {install_line()} in the setup cell"
    code[0].source = code[0].source.replace(install_line(), f'"git+file://{ROOT}@{colab["sha"]}"')
    if setup_only:
        nb.cells = [code[0]]
    copy = colab["work"] / path.name
    nbformat.write(nb, copy)
    monkeypatch.setenv("JUPYTER_PATH", str(colab["jupyter"]))
    try:
        NotebookClient(nb, timeout=900, kernel_name=KERNEL, record_timing=True).execute(
            cwd=str(colab["work"]), env=colab["env"])
    finally:
        nbformat.write(nb, copy)
    stamps = [c.metadata.execution for c in nb.cells if c.cell_type == "code"]
    seconds = [(datetime.fromisoformat(t["shell.execute_reply"])
                - datetime.fromisoformat(t["iopub.execute_input"])).total_seconds() for t in stamps]
    return [seconds[0], sum(seconds[1:])]


def check_environment(colab: dict) -> None:
    """One cv2 (Colab's), the preinstalled packages untouched, lectures_lib installed from HEAD."""
    now = probe(colab["python"])
    assert now["cv2"] == ["opencv-python"], f"packages providing cv2: {now['cv2']}"
    for name, pin in colab_pins().items():
        assert now["watched"][name] == colab["before"]["watched"][name], (
            f"{name} changed: {colab['before']['watched'][name]} -> {now['watched'][name]}")
        assert pin is None or now["watched"][name][0].split("+")[0] == pin, (name, pin)
    url = now["lectures_lib"]
    assert url and url.get("vcs_info", {}).get("commit_id") == colab["sha"], url


@pytest.fixture(scope="module")
def installed(colab, request):
    """lectures_lib installed into the Colab environment by the first chapter's setup cell."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        setup, _ = execute(colab, monkeypatch, toc_notebooks()[0], setup_only=True)
    check_environment(colab)
    say(request, f"lectures_lib installed by the setup cell in {setup:.0f} s")
    return colab


@pytest.mark.slow
@needs_colab
@pytest.mark.parametrize("path", toc_notebooks(), ids=[p.name for p in toc_notebooks()])
def test_chapter_runs_in_colab(installed, monkeypatch, request, path):
    start = time.perf_counter()
    setup, rest = execute(installed, monkeypatch, path)
    check_environment(installed)
    say(request, f"  {path.name}: {time.perf_counter() - start:.0f} s in all, setup cell "
                 f"{setup:.0f} s, the other cells {rest:.0f} s")


# Run by the Colab environment's python: build every explorer the chapters show, and move each
# control, with deprecation warnings as errors (what ipywidgets 8 removed, 7 deprecates).
WIDGETS = """
import warnings
import matplotlib
matplotlib.use("Agg")
import ipywidgets, numpy as np, torch
from torch import nn
from lectures_lib.viz import widgets
assert ipywidgets.__version__.startswith("7."), ipywidgets.__version__
warnings.simplefilter("error", DeprecationWarning)
box = widgets.raw_size_explorer()
shown = box.children[-1].value
box.children[3].value = 4                                   # sample: float32
assert box.children[-1].value != shown
box = widgets.c3d_cost_explorer()
shown = box.children[-1].value
box.children[0].value = 32                                  # frames T
assert box.children[-1].value != shown
toys = {"two convs": nn.Sequential(nn.Conv3d(3, 4, 3), nn.Conv3d(4, 4, 3))}
box = widgets.receptive_field_explorer(toys, (3, 8, 16, 16), np.zeros((8, 16, 16, 3), "uint8"))
box.children[1].value = 2                                   # layer
frame = torch.rand(32, 32)
box = widgets.flow_explorer({"shift": (frame, torch.roll(frame, 1, dims=-1))})
summary = box.children[-2]
for _, method in widgets.FLOW_METHODS:
    box.children[1].value = method
    assert "error" in summary.value, summary.value
print("widgets ok under ipywidgets", ipywidgets.__version__)
"""


@pytest.mark.slow
@needs_colab
def test_widgets_work_under_ipywidgets_7(installed):
    done = subprocess.run([str(installed["python"]), "-c", WIDGETS], capture_output=True,
                          text=True, cwd=installed["work"], env=installed["env"])
    assert done.returncode == 0, done.stderr[-3000:]


def test_colab_pins_are_the_runtime_versions():
    pins = colab_pins()
    assert pins["ipywidgets"].startswith("7.") and pins["torch"] == "2.13.0"
    assert "opencv-python" in pins and not [n for n in pins if re.match(r"opencv-.*headless", n)]
