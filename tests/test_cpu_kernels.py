"""Playing an older CPU: kinds are read right, and the libraries obey the settings CI exports."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cpu_kernels
import pytest

ZEN4 = "flags\t\t: fpu sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_bf16\n"
ZEN3 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n"


def test_the_native_kind_comes_from_the_processors_flags():
    assert cpu_kernels.native_kind(ZEN4) == "avx512"
    assert cpu_kernels.native_kind(ZEN3) == "avx2"
    assert cpu_kernels.native_kind("flags\t: fpu sse2 avx512f avx2 fma\n") == "avx2"  # no BW
    assert cpu_kernels.native_kind("flags\t: fpu sse2 sse4_2 avx\n") == "avx"
    assert cpu_kernels.native_kind("flags\t: fpu sse2 sse4_2\n") == "default"
    assert cpu_kernels.native_kind("") == "default"


@pytest.mark.parametrize(("outputs", "native", "played"), [
    ({"avx512"}, "avx512", "avx2"),             # the AVX-512 machine plays the AVX2 one
    ({"avx512"}, "avx2", "avx2"),               # the AVX2 machine is already older: its own
    ({"avx2"}, "avx512", "avx"),
    ({"avx2"}, "avx2", "avx"),
    ({"avx2", "avx512"}, "avx512", "avx"),      # older than the oldest stored output
])
def test_the_played_kind_is_older_than_every_stored_output(outputs, native, played):
    assert cpu_kernels.older_limits(outputs, native) == cpu_kernels.LIMITS[played]


@pytest.mark.parametrize(("outputs", "native", "named"), [
    (set(), "avx2", "[]"), ({"avx"}, "avx2", "no older kernels"), ({"avx2"}, "avx", "no older"),
    ({"avx1024"}, "avx2", "avx1024"),
])
def test_no_older_kind_is_an_error_that_says_why(outputs, native, named):
    with pytest.raises(ValueError, match=named.replace("[", r"\[").replace("]", r"\]")):
        cpu_kernels.older_limits(outputs, native)


def test_the_stored_kinds_are_read_from_the_timings(tmp_path):
    timings = tmp_path / "timings.json"
    timings.write_text(json.dumps({
        "book/a.ipynb": {"cpu-avx512": {"kernels": "avx512", "stored": True},
                         "cpu-avx2": {"kernels": "avx2", "stored": False}, "gpu": {}},
        "book/b.ipynb": {"cpu-avx2": {"kernels": "avx2", "stored": True}}}))
    assert cpu_kernels.outputs_kinds(timings) == {"avx512", "avx2"}
    assert cpu_kernels.outputs_kinds() <= set(cpu_kernels.KINDS)      # the book's own timings


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["avx2", "avx"])
def test_torch_numpy_and_opencv_obey_the_exported_limits(kind):
    """What CI exports really changes the kernels: torch and oneDNN report the played kind, numpy
    dispatches no newer SIMD, and OpenCV switches the newer features off."""
    if cpu_kernels.KINDS.index(kind) > cpu_kernels.KINDS.index(cpu_kernels.native_kind()):
        pytest.skip(f"this CPU has no {kind} kernels to play")
    probe = ("import sys, cpu_kernels, numpy, cv2\n"
             "features = numpy._core._multiarray_umath.__cpu_features__\n"
             "print(cpu_kernels.running_kind(), features['X86_V4'], features['X86_V3'], "
             "cv2.checkHardwareSupport(11))\n")                    # 11: CV_CPU_AVX2
    env = {**os.environ, **cpu_kernels.LIMITS[kind], "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          check=True)
    running, numpy_v4, numpy_v3, cv_avx2 = done.stdout.split()
    assert running == kind and numpy_v4 == "False"
    if kind == "avx":
        assert numpy_v3 == "False" and cv_avx2 == "False"
