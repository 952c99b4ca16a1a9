"""Running at the machine's speed: a training step reuses its memory instead of faulting it in."""

import platform
import resource

import pytest
import torch

from lectures_lib import fusion, speed


def test_keeping_freed_memory_is_applied_once_where_glibc_is():
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert speed.keep_freed_memory() is glibc                 # import lectures_lib called it
    assert speed.keep_freed_memory() is glibc                 # and again changes nothing


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc settings only")
def test_a_training_step_does_not_fault_in_its_activations_again():
    """A 3D CNN step at batch 32 allocates about 40 MB of activations and gradients; handed back
    and faulted in again, that is about 10,000 page faults of 4 KiB per step."""
    model = fusion.chapter2_models()["3D CNN"]()
    x, y = torch.rand(32, 3, 16, 32, 32), torch.randint(0, 8, (32,))

    def step():
        model.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()

    for _ in range(2):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        step()
    per_step = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3
    assert per_step < 2000, per_step
