"""Running at the machine's speed: one speed policy, and a training step that reuses its memory
instead of faulting it in."""

import platform
import resource

import pytest
import torch

from lectures_lib.core import speed
from lectures_lib.core.speed import SpeedPolicy
from lectures_lib.models import fusion


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


def test_the_speed_policy_is_on_for_cuda_only(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert SpeedPolicy.for_device(cpu) == SpeedPolicy("cpu", amp=False, channels_last=False)
    assert SpeedPolicy.for_device("cpu", False) == SpeedPolicy()
    with pytest.raises(ValueError, match="amp .* is for CUDA devices, got cpu"):
        SpeedPolicy.for_device(cpu, True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert SpeedPolicy.for_device(cuda) == SpeedPolicy("cuda", amp=True, channels_last=True)
    assert SpeedPolicy.for_device(cuda, False) == SpeedPolicy("cuda", amp=False,
                                                              channels_last=True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert SpeedPolicy.for_device(cuda).amp is False
    with pytest.raises(AttributeError):                         # frozen: one decision per run
        SpeedPolicy().amp = True


def test_the_policy_prepares_inputs_and_models_only_when_it_says_so():
    clip, image = torch.rand(2, 3, 4, 5, 5), torch.rand(2, 3, 5, 5)
    on, off = SpeedPolicy("cuda", channels_last=True), SpeedPolicy()
    a, b = on.prepare_inputs((clip, image))
    assert a.is_contiguous(memory_format=torch.channels_last_3d) and b is image
    assert torch.equal(a, clip)
    assert off.prepare_inputs(clip) is clip
    model = fusion.CNN3D(4, width=4)
    assert on.prepare_model(model) is model
    assert model.features[0][0].weight.is_contiguous(memory_format=torch.channels_last_3d)
    speed.use_channels_last(model, enable=False)
    assert model.features[0][0].weight.is_contiguous()
    assert off.prepare_model(model).features[0][0].weight.is_contiguous()
    assert isinstance(off.autocast(), type(SpeedPolicy("cuda").autocast()))
    with pytest.raises(TypeError, match="x.*str"):
        speed.channels_last_inputs("clip")
