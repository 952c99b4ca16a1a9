"""Receptive fields: the lecture's table, analytic == empirical on random stacks, and errors."""

import random

import pytest
from torch import nn

from lectures_lib.book import facts
from lectures_lib.costs import receptive_field as rf
from lectures_lib.models import fusion, toy_models

INPUT = facts.get("rf.input").value                              # (3, 20, 64, 64)
# The lecture's summary table, row by row: our layer names, and the facts' keys for the model and
# its layers (lectures_lib.book.facts ids rf.<model>.<layer>.output_size and .receptive_field).
TABLE = {
    toy_models.late_fusion: ("late_fusion", ["Conv2D(3x3, 3->12)", "Pool2D(4x4)",
                                             "Conv2D(3x3, 12->24)", "GlobalAvgPool"]),
    toy_models.early_fusion: ("early_fusion", ["Conv2D(3x3, 3*20->12)", "Pool2D(4x4)",
                                               "Conv2D(3x3, 12->24)", "GlobalAvgPool"]),
    toy_models.cnn3d: ("cnn3d", ["Conv3D(3x3x3, 3->12)", "Pool3D(4x4x4)", "Conv3D(3x3x3, 12->24)",
                                 "GlobalAvgPool"]),
}
LAYER_KEYS = ("conv1", "pool1", "conv2", "global_pool")


def lecture_rows(build) -> list[tuple]:
    """The lecture's rows: (layer, output size C x T x H x W, receptive field T x H x W).

    A size printed without a time axis (C x H x W: early fusion's, and the 3D CNN's last row on the
    slide) has T = 1.
    """
    model, names = TABLE[build]
    rows = []
    for name, key in zip(names, LAYER_KEYS):
        size = facts.get(f"rf.{model}.{key}.output_size").value
        size = size if len(size) == 4 else (size[0], 1, *size[1:])
        rows.append((name, size, facts.get(f"rf.{model}.{key}.receptive_field").value))
    return rows


@pytest.mark.parametrize("build", TABLE, ids=lambda b: b.__name__)
def test_the_lecture_table_row_by_row(build):
    rows = rf.receptive_fields(rf.layers_from_module(build(), INPUT), INPUT)
    assert [(r.name, (r.channels, *r.size), r.rf) for r in rows] == lecture_rows(build)


def random_stack(rng: random.Random) -> nn.Sequential:
    layers, channels = [], 2
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.6:
            out = rng.randint(1, 3)
            k = tuple(rng.choice((1, 2, 3)) for _ in range(3))
            layers.append(nn.Conv3d(channels, out, k,
                                    stride=tuple(rng.choice((1, 2)) for _ in range(3)),
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
        except (ValueError, RuntimeError):                    # a stack that shrinks to nothing
            continue
    for unit in (tuple(n // 2 for n in out), (0, 0, 0), tuple(n - 1 for n in out)):
        try:
            analytic = rf.unit_receptive_field(layers, size, unit)
        except ValueError as err:                     # a corner that sees only padding:
            assert "only padding" in str(err)         # its input gradient is zero too
            with pytest.raises(ValueError, match="only padding"):
                rf.empirical_receptive_field(model, size, unit)
            continue
        assert analytic == rf.empirical_receptive_field(model, size, unit)


def test_dilation_holes_at_the_border():
    layer = [rf.Layer("dilated", (1, 1, 2), padding=(0, 0, 1), dilation=(1, 1, 2))]
    assert rf.unit_receptive_field(layer, (1, 1, 1, 6), (0, 0, 0)) == ((0, 0), (0, 0), (1, 1))


def test_receptive_field_and_jump_formulas():
    layers = [rf.Layer("a", (3, 3, 3), (1, 2, 2), (1, 1, 1)),
              rf.Layer("b", (3, 3, 3), (2, 2, 2), dilation=(1, 2, 2))]
    first, second = rf.receptive_fields(layers, (3, 16, 32, 32))
    assert first.size == (16, 16, 16) and first.rf == (3, 3, 3) and first.jump == (1, 2, 2)
    assert second.size == (7, 6, 6) and second.rf == (5, 11, 11) and second.jump == (2, 4, 4)


def test_early_fusion_conv_spans_all_frames():
    layers = rf.layers_from_module(toy_models.early_fusion(num_frames=8), (3, 8, 16, 16))
    assert layers[0].kernel == (8, 3, 3) and layers[0].name == "Conv2D(3x3, 3*8->12)"


def test_trainable_models_are_described_too():
    size = (3, 16, 32, 32)
    rows = rf.receptive_fields(rf.layers_from_module(fusion.CNN3D(8), size), size)
    assert [r.size for r in rows] == [(16, 16, 16), (8, 8, 8), (4, 4, 4), (1, 1, 1), (1, 1, 1)]
    assert [r.rf for r in rows[:3]] == [(3, 3, 3), (5, 7, 7), (9, 15, 15)]
    assert [r.name for r in rows[3:]] == ["GlobalMaxPool", "FC(32->8)"]  # the head's max, a module
    assert rows[-1].rf == (16, 32, 32)


def test_the_global_max_head_is_read_by_type_and_checked_by_gradient():
    model = fusion.CNN3D(8).features                   # the body, then the head's pool
    head = fusion.CNN3D(8).head[0]
    layers = rf.layers_from_module(nn.Sequential(model, head), (3, 16, 32, 32))
    assert layers[-1].name == "GlobalMaxPool" and layers[-1].global_pool
    field = rf.empirical_receptive_field(nn.Sequential(model, head), (3, 16, 32, 32))
    assert field == ((0, 15), (0, 31), (0, 31))        # a global pool sees everything


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


CONV = rf.Layer("c", (3, 3, 3), padding=(1, 1, 1))


@pytest.mark.parametrize("call, error, match", [
    (lambda: rf.Layer("k", kernel=3), ValueError, "kernel must be three integers >= 1"),
    (lambda: rf.Layer("k", kernel=(3.0, 3, 3)), ValueError, "kernel must be three integers >= 1"),
    (lambda: rf.Layer("k", stride=None), ValueError, "stride must be three integers >= 1"),
    (lambda: rf.receptive_fields([CONV], (16, 112, 112)), ValueError,
     r"input_size.*\(16, 112, 112\)"),
    (lambda: rf.receptive_fields([nn.Conv3d(3, 3, 3)], (3, 8, 8, 8)), TypeError,
     "layers must be Layer objects"),
    (lambda: rf.unit_receptive_field([CONV], (3, 8, 8, 8), (1, 2)), ValueError,
     r"unit \(1, 2\) is outside the output size \(8, 8, 8\)"),
    (lambda: rf.unit_receptive_field([CONV], (3, 8, 8, 8), (1.5, 2, 2)), ValueError,
     "outside the output size"),
    (lambda: rf.layers_from_module("model", (3, 8, 8, 8)), TypeError,
     "model.*str"),
    (lambda: rf.layers_from_module(toy_models.cnn3d(), (8, 64, 64)), ValueError,
     r"cannot take an input of shape \(1, 8, 64, 64\)"),
    (lambda: rf.empirical_receptive_field(toy_models.cnn3d(), (1, 8, 16, 16)), ValueError,
     r"cannot take an input of shape \(1, 1, 8, 16, 16\): .*to have 3 channels"),
    (lambda: rf.empirical_receptive_field(nn.Conv3d(3, 2, 3), (3, 8, 16, 16), unit=(1, 2)),
     ValueError, r"unit \(1, 2\) is outside the output size \(6, 14, 14\)"),
    (lambda: rf.empirical_receptive_field(nn.Conv3d(3, 2, 3), (3, 8, 16, 16), unit=(9, 0, 0)),
     ValueError, "outside the output size"),
    (lambda: rf.empirical_receptive_field("model", (3, 8, 16, 16)), TypeError,
     "model.*str"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()
