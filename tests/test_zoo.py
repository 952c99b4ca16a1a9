"""Every model of the book's zoo, built as the leaderboard builds it: the output it promises, a
backward pass that reaches every parameter, and a build on the meta device (shapes without memory).
"""

import pytest
import torch

from lectures_lib.book import zoo

ENTRIES = {e.name: e for e in zoo.ENTRIES + zoo.SWEEP}
FLOW = (2, zoo.FLOW_FRAMES.stop - zoo.FLOW_FRAMES.start - 1, *zoo.CLIP[2:])   # (2, L, H, W)


def _parts(model: torch.nn.Module, inputs: str, batch: int, device: str = "cpu"):
    """(module, input) pairs of an entry: the model and a clip batch, or each of the two streams
    and its own input (frames for the spatial stream, stacked flow for the temporal one)."""
    if inputs == "two-stream":
        return [(model["spatial"], torch.rand(batch, *zoo.CLIP, device=device)),
                (model["temporal"], torch.rand(batch, *FLOW, device=device))]
    return [(model, torch.rand(batch, *zoo.CLIP, device=device))]


@pytest.mark.parametrize("name", ENTRIES)
def test_every_zoo_model_classifies_a_batch_and_trains_every_parameter(name):
    e = ENTRIES[name]
    model = e.build().train()
    for part, x in _parts(model, e.inputs, batch=2):
        out = part(x)
        assert out.shape == (2, zoo.NUM_CLASSES), (name, tuple(out.shape))
        assert torch.isfinite(out).all()
        out.float().logsumexp(1).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"{name}: no gradient reaches {missing}"


@pytest.mark.parametrize("name", ENTRIES)
def test_every_zoo_model_builds_and_runs_on_the_meta_device(name):
    e = ENTRIES[name]
    with torch.device("meta"):
        model = e.build().eval()
    assert all(p.is_meta for p in model.parameters())
    for part, x in _parts(model, e.inputs, batch=3, device="meta"):
        assert part(x).shape == (3, zoo.NUM_CLASSES)


def test_the_same_name_builds_the_same_weights():
    e = zoo.entry("3D CNN")
    a, b = e.build().state_dict(), e.build().state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
