"""Receptive fields: the lecture's table, analytic == empirical on random stacks, and errors."""

import random

import pytest
from torch import nn

from lectures_lib import fusion
from lectures_lib import receptive_field as rf

INPUT = (3, 20, 64, 64)
# FACTS.md section 1: (layer, output size C x T x H x W with T kept, receptive field T x H x W)
LECTURE = {
    fusion.late_fusion_toy: [("Conv2D(3x3, 3->12)", (12, 20, 64, 64), (1, 3, 3)),
                             ("Pool2D(4x4)", (12, 20, 16, 16), (1, 6, 6)),
                             ("Conv2D(3x3, 12->24)", (24, 20, 16, 16), (1, 14, 14)),
                             ("GlobalAvgPool", (24, 1, 1, 1), (20, 64, 64))],
    fusion.early_fusion_toy: [("Conv2D(3x3, 3*20->12)", (12, 1, 64, 64), (20, 3, 3)),
                              ("Pool2D(4x4)", (12, 1, 16, 16), (20, 6, 6)),
                              ("Conv2D(3x3, 12->24)", (24, 1, 16, 16), (20, 14, 14)),
                              ("GlobalAvgPool", (24, 1, 1, 1), (20, 64, 64))],
    fusion.cnn3d_toy: [("Conv3D(3x3x3, 3->12)", (12, 20, 64, 64), (3, 3, 3)),
                       ("Pool3D(4x4x4)", (12, 5, 16, 16), (6, 6, 6)),
                       ("Conv3D(3x3x3, 12->24)", (24, 5, 16, 16), (14, 14, 14)),
                       ("GlobalAvgPool", (24, 1, 1, 1), (20, 64, 64))],
}


@pytest.mark.parametrize("build", LECTURE, ids=lambda b: b.__name__)
def test_the_lecture_table_row_by_row(build):
    rows = rf.receptive_fields(rf.layers_from_module(build(), INPUT), INPUT)
    assert [(r.name, (r.channels, *r.size), r.rf) for r in rows] == LECTURE[build]


def random_stack(rng: random.Random) -> nn.Sequential:
    layers, channels = [], 2
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.6:
            out = rng.randint(1, 3)
            k = tuple(rng.choice((1, 2, 3)) for _ in range(3))
            layers.append(nn.Conv3d(channels, out, k, stride=tuple(rng.choice((1, 2)) for _ in range(3)),
                                    padding=tuple(rng.choice((0, 1)) for _ in range(3)),
                                    dilation=tuple(rng.choice((1, 2)) for _ in range(3))))
            channels = out
        else:
            k = tuple(rng.choice((2, 3)) for _ in range(3))
            pool = rng.choice((nn.MaxPool3d, nn.AvgPool3d))
            layers.append(pool(k, stride=tuple(rng.choice((1, 2, 3)) for _ in range(3)),
                               padding=tuple(rng.choice(range(kk // 2 + 1)) for kk in k)))
        if rng.random() < 0.5:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@pytest.mark.parametrize("seed", range(30))
def test_analytic_equals_empirical_on_random_stacks(seed):
    rng = random.Random(seed)
    while True:
        model = random_stack(rng)
        size = (2, rng.randint(10, 18), rng.randint(10, 18), rng.randint(10, 18))
        try:
            layers = rf.layers_from_module(model, size)
            out = rf.receptive_fields(layers, size)[-1].size
            break
        except (ValueError, RuntimeError):                            # a stack that shrinks to nothing
            continue
    for unit in (tuple(n // 2 for n in out), (0, 0, 0), tuple(n - 1 for n in out)):
        try:
            analytic = rf.unit_receptive_field(layers, size, unit)
        except ValueError as err:                                     # a corner that sees only padding:
            assert "only padding" in str(err)                         # its input gradient is zero too
            with pytest.raises(ValueError, match="only padding"):
                rf.empirical_receptive_field(model, size, unit)
            continue
        assert analytic == rf.empirical_receptive_field(model, size, unit)


def test_dilation_holes_at_the_border():
    layer = [rf.Layer("dilated", (1, 1, 2), padding=(0, 0, 1), dilation=(1, 1, 2))]
    assert rf.unit_receptive_field(layer, (1, 1, 1, 6), (0, 0, 0)) == ((0, 0), (0, 0), (1, 1))


def test_receptive_field_and_jump_formulas():
    layers = [rf.Layer("a", (3, 3, 3), (1, 2, 2), (1, 1, 1)), rf.Layer("b", (3, 3, 3), (2, 2, 2), dilation=(1, 2, 2))]
    first, second = rf.receptive_fields(layers, (3, 16, 32, 32))
    assert first.size == (16, 16, 16) and first.rf == (3, 3, 3) and first.jump == (1, 2, 2)
    assert second.size == (7, 6, 6) and second.rf == (5, 11, 11) and second.jump == (2, 4, 4)


def test_early_fusion_conv_spans_all_frames():
    layers = rf.layers_from_module(fusion.early_fusion_toy(num_frames=8), (3, 8, 16, 16))
    assert layers[0].kernel == (8, 3, 3) and layers[0].name == "Conv2D(3x3, 3*8->12)"


def test_trainable_models_are_described_too():
    rows = rf.receptive_fields(rf.layers_from_module(fusion.CNN3D(8), (3, 16, 32, 32)), (3, 16, 32, 32))
    assert [r.size for r in rows] == [(16, 16, 16), (8, 8, 8), (4, 4, 4), (1, 1, 1)]
    assert [r.rf for r in rows[:3]] == [(3, 3, 3), (5, 7, 7), (9, 15, 15)]
    assert rows[-1].name == "FC(32->8)" and rows[-1].rf == (16, 32, 32)


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel=(3, 3, 0)), r"kernel must be three integers >= 1"),
    (dict(stride=(0, 1, 1)), r"stride must be three integers >= 1"),
    (dict(padding=(-1, 0, 0)), r"padding must be three integers >= 0"),
    (dict(dilation=(1, 1)), r"dilation must be three integers"),
])
def test_bad_layer_descriptions(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rf.Layer("bad", **kwargs)


def test_stacks_that_shrink_to_nothing_and_other_errors():
    with pytest.raises(ValueError, match=r"layer 'big': a H size of 4 .* output size goes to zero"):
        rf.receptive_fields([rf.Layer("big", (1, 5, 1))], (3, 8, 4, 4))
    with pytest.raises(ValueError, match="outside the output size"):
        rf.unit_receptive_field([rf.Layer("a", (1, 3, 3))], (3, 4, 8, 8), (0, 6, 0))
    with pytest.raises(ValueError, match="no receptive-field rule for Upsample"):
        rf.layers_from_module(nn.Sequential(nn.Upsample(scale_factor=2)), (3, 4, 8, 8))
    with pytest.raises(ValueError, match="ceil_mode"):
        rf.layers_from_module(nn.Sequential(nn.MaxPool3d(2, ceil_mode=True)), (3, 4, 8, 8))
    with pytest.raises(ValueError, match="output size 1"):
        rf.layers_from_module(nn.Sequential(nn.AdaptiveAvgPool3d(2)), (3, 4, 8, 8))
