"""Unit tests for the chapter-2 models (lectures_lib.models.fusion) and their blocks
(lectures_lib.core.blocks)."""

import pytest
import torch
from torch import nn

from lectures_lib.core import blocks, speed
from lectures_lib.models import fusion, toy_models

T = 8
BUILDERS = {
    "single frame": lambda: fusion.SingleFrameCNN(5),
    "late fusion avg": lambda: fusion.LateFusion(5, T),
    "late fusion flatten": lambda: fusion.LateFusion(5, T, head="flatten"),
    "late fusion mlp": lambda: fusion.LateFusion(5, T, head="mlp"),
    "early fusion": lambda: fusion.EarlyFusion(5, T),
    "3D CNN": lambda: fusion.CNN3D(5),
}


@pytest.fixture
def clip():
    return torch.rand(2, 3, T, 32, 32, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", BUILDERS)
def test_shapes_and_gradient_flow(name, clip):
    torch.manual_seed(0)
    model = BUILDERS[name]()
    out = model(clip)
    assert out.shape == (2, 5)
    nn.functional.cross_entropy(out, torch.tensor([1, 3])).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name, invariant", [("single frame", True), ("late fusion avg", True),
                                             ("late fusion mlp", False),
                                             ("late fusion flatten", False),
                                             ("early fusion", False), ("3D CNN", False)])
def test_which_models_are_blind_to_frame_order(name, invariant, clip):
    torch.manual_seed(0)
    model = BUILDERS[name]().eval()
    with torch.no_grad():
        same = torch.allclose(model(clip), model(clip.flip(2)), atol=1e-5)
    assert same == invariant


def test_single_frame_averages_per_frame_probabilities(clip):
    model = fusion.SingleFrameCNN(5).eval()
    with torch.no_grad():
        expected = model.frame_logits(clip).softmax(-1).mean(1).log()
        assert torch.allclose(model(clip), expected, atol=1e-6)
        assert torch.allclose(model(clip).exp().sum(1), torch.ones(2))


def test_single_frame_trains_on_frames(clip):
    model = fusion.SingleFrameCNN(5)
    y = torch.tensor([1, 4])
    loss, out = model.training_loss(clip, y)
    logits = model.frame_logits(clip)                                  # (2, T, 5)
    per_frame = nn.functional.cross_entropy(logits.reshape(2 * T, 5), y.repeat_interleave(T))
    assert torch.allclose(loss, per_frame) and torch.allclose(out, model(clip), atol=1e-6)


def test_input_layout_errors(clip):
    with pytest.raises(ValueError,
                       match=r"expected \(B, C, T, H, W\) with C=3, got \(2, 8, 3, 32, 32\)"):
        fusion.CNN3D(5)(clip.transpose(1, 2))
    with pytest.raises(ValueError, match=r"C=3, T=8, got \(2, 3, 6, 32, 32\)"):
        fusion.EarlyFusion(5, T)(clip[:, :, :6])
    with pytest.raises(ValueError, match=r"T=8"):
        fusion.LateFusion(5, T, head="mlp")(clip[:, :, :6])
    assert fusion.LateFusion(5, T)(clip[:, :, :6]).shape == (2, 5)   # avg pooling takes any T
    with pytest.raises(ValueError, match="head.*'max'"):
        fusion.LateFusion(5, T, head="max")
    with pytest.raises(ValueError, match="floating-point"):
        fusion.CNN3D(5)((clip * 255).to(torch.uint8))
    with pytest.raises(ValueError, match="with C=1"):
        fusion.SingleFrameCNN(5, in_channels=1)(clip)


@pytest.mark.parametrize("build, match", [
    (lambda: fusion.SingleFrameCNN(0), "num_classes must be a positive integer, got 0"),
    (lambda: fusion.LateFusion(5, 0, head="mlp"), "num_frames must be a positive integer, got 0"),
    (lambda: fusion.EarlyFusion(5, T, width=-1), "width must be a positive integer, got -1"),
    (lambda: fusion.CNN3D(5, in_channels=0), "in_channels must be a positive integer, got 0"),
    (lambda: fusion.chapter2_models(num_frames=2.5), "num_frames must be a positive integer"),
    (lambda: blocks.conv_bn_relu(3, 4, dims=1), "dims must be 2 or 3, got 1"),
    (lambda: blocks.conv_bn_relu(3, 4, dims=2, kernel_size=2), "kernel_size must be odd"),
])
def test_constructor_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_chapter2_models_start_from_the_same_weights_wherever_they_are_built():
    first, again = fusion.chapter2_models(5, T), fusion.chapter2_models(5, T)
    assert list(first) == ["single frame", "late fusion (avg)", "late fusion (flatten)",
                           "late fusion (pooled, variant)", "early fusion", "3D CNN"]
    for name in first:
        torch.manual_seed(123)                                         # whatever came before
        a, b = first[name](), again[name]()
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters())), name
    assert fusion.chapter2_models()["3D CNN"]().features[0][0].weight.is_contiguous(
        memory_format=torch.channels_last_3d)
    assert fusion.chapter2_models()["early fusion"]().encoder[0][0].weight.is_contiguous()


@pytest.mark.parametrize("build, expected", [(toy_models.late_fusion, (1, 24, 1, 1, 1)),
                                             (toy_models.early_fusion, (1, 24, 1, 1)),
                                             (toy_models.cnn3d, (1, 24, 1, 1, 1))])
def test_lecture_toys_on_3x20x64x64(build, expected):
    assert build()(torch.zeros(1, 3, 20, 64, 64)).shape == expected


def test_fold_time_into_channels_keeps_each_channels_frames_together():
    # (B, C, T, 1, 1)
    x = torch.arange(2 * 3 * 4 * 1 * 1, dtype=torch.float32).reshape(2, 3, 4, 1, 1)
    y = blocks.FoldTimeIntoChannels()(x)
    assert y.shape == (2, 12, 1, 1)
    for c in range(3):
        for t in range(4):
            assert y[1, c * 4 + t, 0, 0] == x[1, c, t, 0, 0]  # channel c's 4 frames are adjacent
    with pytest.raises(ValueError, match=r"expected \(B, C, T, H, W\), got shape \(2, 3, 4\)"):
        blocks.FoldTimeIntoChannels()(torch.zeros(2, 3, 4))


def test_shared_blocks_shapes():
    assert (blocks.conv_bn_relu(3, 4, dims=3, stride=(1, 2, 2))(torch.zeros(2, 3, 4, 8, 8)).shape
            == (2, 4, 4, 4, 4))
    assert blocks.frame_encoder(3, 4)(torch.zeros(2, 3, 32, 32)).shape == (2, 8, 4, 4)
    x = torch.zeros(2, 5, 3, 4)
    x[1, 2, 2, 3] = 7.0
    assert torch.equal(blocks.GlobalMaxPool()(x)[1], torch.tensor([0, 0, 7.0, 0, 0]))
    assert blocks.max_pool_classifier(5, 3)(x).shape == (2, 3)
    with pytest.raises(ValueError, match="at least one position axis"):
        blocks.GlobalMaxPool()(torch.zeros(2, 5))


def test_the_lectures_late_fusion_flattens_where_things_are():
    model = fusion.LateFusion(5, T, head="flatten", frame_size=(32, 24)).eval()
    assert model.classifier[0].in_features == T * 32 * 4 * 3           # T x D x H/8 x W/8
    x = torch.rand(2, 3, T, 32, 24)
    with torch.no_grad():
        moved = x.roll(8, dims=-1)                                     # the same content, elsewhere
        assert not torch.allclose(model(x), model(moved), atol=1e-4)   # position matters to it
    with pytest.raises(ValueError, match=r"built for \(32, 24\) frames, got \(32, 32\)"):
        model(torch.rand(2, 3, T, 32, 32))


X = torch.rand(2, 3, T, 16, 16)


@pytest.mark.parametrize("call, error, match", [
    (lambda: blocks.conv_bn_relu(3, 8, dims=3, stride=(1, 2)), ValueError,
     r"stride.*\(1, 2\)"),
    (lambda: blocks.conv_bn_relu(3, 8, dims=2, stride=0), ValueError,
     r"stride\[0\].*0"),
    (lambda: blocks.conv_bn_relu(3, 8, dims=2.0), ValueError, "dims.*2.0"),
    (lambda: blocks.FoldTimeIntoChannels()([[1.0]]), TypeError, "x must be a torch tensor"),
    (lambda: blocks.GlobalMaxPool()(torch.zeros(2, 4, 0, 3)), ValueError,
     r"none empty, got shape \(2, 4, 0, 3\)"),
    (lambda: speed.use_channels_last("model"), TypeError, "model must be a torch.nn.Module"),
    (lambda: fusion.SingleFrameCNN(4, width=4).training_loss(X, torch.tensor([0.0, 1.0])),
     ValueError, r"expected labels of shape \(2,\): integer class indices, got torch.float32"),
    (lambda: fusion.SingleFrameCNN(4, width=4).training_loss(X, torch.tensor([0, 1, 2])),
     ValueError, r"expected labels of shape \(2,\)"),
    (lambda: fusion.SingleFrameCNN(4, width=4).training_loss(X, torch.tensor([0, 9])),
     ValueError, r"labels.*values from 0 to 9"),
    (lambda: fusion.chapter2_models(seed="a"), TypeError, "seed.*'a'"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()
