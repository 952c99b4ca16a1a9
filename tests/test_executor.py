"""The notebook executor and the GPU check: times are recorded, outputs only written on purpose."""

import json
import subprocess
import sys

import pytest
import torch
from booktoc import ROOT


def test_times_only_records_a_time_and_leaves_the_notebook_alone(tmp_path):
    """`execute_notebooks.py --times-only` (what the GPU check runs) never rewrites outputs."""
    chapter = ROOT / "book" / "ch11_summary.ipynb"
    before = chapter.read_bytes()
    timings = tmp_path / "timings.json"
    subprocess.run([sys.executable, str(ROOT / "tests" / "execute_notebooks.py"), "--times-only",
                    "--timings", str(timings), str(chapter)], check=True, capture_output=True)
    assert chapter.read_bytes() == before
    entry = json.loads(timings.read_text())["book/ch11_summary.ipynb"]
    assert set(entry) <= {"cpu", "gpu"} and next(iter(entry.values()))["seconds"] > 0


def test_gpu_check_says_when_there_is_no_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: run python tests/gpu_check.py itself")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "gpu_check.py")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "no CUDA device" in done.stderr
