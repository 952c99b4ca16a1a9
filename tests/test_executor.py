"""The notebook executor and the GPU check: times are recorded, outputs only written on purpose."""

import json
import os
import subprocess
import sys

import cpu_kernels
import execute_notebooks
import nbformat
import pytest
import torch
from booktoc import ROOT


@pytest.mark.slow
def test_times_only_records_a_time_and_leaves_the_notebook_alone(tmp_path):
    """`execute_notebooks.py --times-only` (what the GPU check runs) never rewrites outputs, and
    records the time under the kind of CPU kernels that ran, not as the stored outputs' kind."""
    notebook = tmp_path / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")]),
                   notebook)
    before = notebook.read_bytes()
    timings = tmp_path / "timings.json"
    subprocess.run([sys.executable, str(ROOT / "tests" / "execute_notebooks.py"), "--times-only",
                    "--timings", str(timings), str(notebook)], check=True, capture_output=True)
    assert notebook.read_bytes() == before
    (device, run), = json.loads(timings.read_text())["tiny.ipynb"].items()
    assert run["seconds"] > 0
    if device != "gpu":
        assert device == f"cpu-{cpu_kernels.running_kind()}" and run["stored"] is False


def test_a_run_that_writes_outputs_marks_its_cpu_kind_as_the_stored_one(tmp_path):
    timings, chapter = tmp_path / "timings.json", ROOT / "book" / "ch01_video_tensors.ipynb"
    avx512 = {"device": "cpu-avx512", "machine": "m, AVX-512, 2 threads", "kernels": "avx512",
              "torch": "2.13"}
    avx2 = {**avx512, "device": "cpu-avx2", "machine": "m, AVX2, 2 threads", "kernels": "avx2"}
    execute_notebooks.record({chapter: 50.0}, avx512, timings)
    execute_notebooks.record({chapter: 90.0}, avx2, timings, stored=False)   # timed only
    runs = json.loads(timings.read_text())["book/ch01_video_tensors.ipynb"]
    assert (runs["cpu-avx512"]["stored"], runs["cpu-avx2"]["stored"]) == (True, False)
    execute_notebooks.record({chapter: 80.0}, avx2, timings)                 # outputs rewritten
    runs = json.loads(timings.read_text())["book/ch01_video_tensors.ipynb"]
    assert (runs["cpu-avx512"]["stored"], runs["cpu-avx2"]["stored"]) == (False, True)
    assert runs["cpu-avx2"]["seconds"] == 80.0 and runs["cpu-avx512"]["seconds"] == 50.0


@pytest.mark.slow
def test_gpu_check_says_when_there_is_no_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: run python tests/gpu_check.py itself")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "gpu_check.py")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "no CUDA device" in done.stderr


@pytest.mark.slow
def test_outputs_and_times_are_never_made_on_played_kernels(tmp_path):
    """CI's older-kernel run checks outputs; writing or timing them there would mislabel them."""
    older = cpu_kernels.KINDS[cpu_kernels.KINDS.index(cpu_kernels.native_kind()) - 1]
    if older not in cpu_kernels.LIMITS:
        pytest.skip("this CPU has no older kernels that CI plays")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "execute_notebooks.py"),
                           "--times-only", "--timings", str(tmp_path / "t.json"), "nothing.ipynb"],
                          env={**os.environ, **cpu_kernels.LIMITS[older]}, capture_output=True,
                          text=True)
    assert done.returncode != 0 and "playing" in done.stderr and "unset" in done.stderr
    assert not (tmp_path / "t.json").exists()
