"""Running at the machine's speed on a CPU: keep freed memory instead of handing it back.

Why: a training step of a small video model allocates and frees the same few large buffers
(activations, their gradients, oneDNN's scratch space) every step. glibc's ``malloc`` serves a
buffer over its *mmap threshold* with fresh pages from the kernel and returns it on ``free``, and it
hands the top of the heap back past its *trim threshold*; so every step touches its buffers' pages
for the first time again, and each first touch is a page fault that zero-fills 4 KiB. A 3D CNN step
at batch 32 moves about 40 MB through such buffers: some 10,000 page faults a step, time the CPU
spends on no arithmetic. Kept, the buffers are reused and a step takes a few hundred faults at most
(``tests/test_speed.py``). The arithmetic, and so every number the models compute, is unchanged.

:func:`keep_freed_memory` raises both thresholds for this process, once; ``import lectures_lib``
calls it, so every chapter, test and command runs with it. It is a no-op where the C library is
not glibc (macOS, Windows, musl).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20
"""Buffers up to 32 MiB (glibc's own maximum for this setting) come from the reusable heap."""
TRIM_THRESHOLD = 2**31 - 1
"""Free memory at the top of the heap is handed back to the system only past about 2 GiB."""


@functools.cache
def keep_freed_memory() -> bool:
    """Make glibc's ``malloc`` reuse freed buffers rather than return them to the system.

    Returns True when the settings were applied (Linux with glibc), False where they do not exist.
    Calling it again does nothing more.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    applied = (libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD),
               libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return all(code == 1 for code in applied)
