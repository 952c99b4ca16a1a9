"""C3D, AlexNet, VGG-16 and (2+1)-D: architectures and costs against the lecture's and the paper's.

The published numbers come from ``lectures_lib.book.facts`` (ids ``c3d.*``, ``alexnet.*``,
``vgg16.*``).
"""

import pytest
import torch
from torch import nn

from lectures_lib.book import facts
from lectures_lib.costs import calculators
from lectures_lib.models import c3d

# Recomputed by hand: C_out x T x H x W x C_in x 27 multiply-adds per conv, in billions
C3D_CONV_GMACS = {"conv1a": 1.040, "conv2a": 11.098, "conv3a": 5.549, "conv3b": 11.098,
                  "conv4a": 2.774, "conv4b": 5.549, "conv5a": 0.694, "conv5b": 0.694}
C3D_INPUT = facts.get("c3d.input").value                         # (3, 16, 112, 112)


@pytest.fixture(scope="module")
def paper_nets():
    with torch.device("meta"):                                    # no memory for 80 M parameters
        return c3d.c3d(), c3d.vgg16(), c3d.alexnet()


def test_c3d_per_layer_cost_matches_the_recomputed_table(paper_nets):
    costs = {c.name: c for c in calculators.layer_costs(paper_nets[0], C3D_INPUT)}
    for name, gmacs in C3D_CONV_GMACS.items():
        assert costs[name].macs / 1e9 == pytest.approx(gmacs, abs=6e-4), name
    assert costs["conv1a"].output == (64, 16, 112, 112) and costs["pool5"].output == (512, 1, 4, 4)
    assert costs["fc6"].params == 8192 * 4096 + 4096
    total = sum(c.macs for c in costs.values())
    assert total / 1e9 == pytest.approx(38.549, abs=1e-3)
    assert sum(c.params for c in costs.values()) / 1e6 == pytest.approx(79.99, abs=0.01)
    assert costs["conv1a"].activation_bytes == 4 * 64 * 16 * 112 * 112


def test_c3d_matches_the_paper_and_the_lecture_conv_rows(paper_nets):
    net = paper_nets[0]
    convs = [m for m in net if isinstance(m, nn.Conv3d)]
    assert [m.out_channels for m in convs] == list(facts.get("c3d.channels").value)
    assert {m.kernel_size for m in convs} == {facts.get("c3d.conv_kernel").value}
    assert net.pool1.kernel_size == facts.get("c3d.pool1_kernel").value
    pools = {getattr(net, f"pool{i}").kernel_size for i in range(2, 6)}
    assert pools == {facts.get("c3d.pool_kernel").value}
    assert (net.fc6.out_features, net.fc7.out_features) == facts.get("c3d.fc_units").value
    assert net.fc8.out_features == facts.get("sports1m.classes").value
    costs = {c.name: c for c in calculators.layer_costs(net, C3D_INPUT)}
    for name in C3D_CONV_GMACS:                                   # the slide rounds to 2 decimals
        lecture = facts.get(f"c3d.{name}.gmacs").value
        assert round(costs[name].macs / 1e9, 2) == pytest.approx(lecture), name


def test_the_lecture_fc_rows_and_total_carry_a_factor_of_27():
    """The slide's FC rows are in x out x 27 for a 4608-input fc6, and its total includes them."""
    with torch.device("meta"):
        net = c3d.c3d(pool5_padding=False)                        # fc6 sees 512 x 1 x 3 x 3 = 4608
    costs = {c.name: c for c in calculators.layer_costs(net, C3D_INPUT)}
    slide_fc = {name: 27 * costs[name].macs for name in ("fc6", "fc7", "fc8")}
    for name, macs in slide_fc.items():
        assert round(macs / 1e9, 2) == pytest.approx(facts.get(f"c3d.{name}.gmacs").value), name
    convs = sum(costs[name].macs for name in C3D_CONV_GMACS)
    lecture_total = facts.get("c3d.total.gmacs").value
    assert round((convs + sum(slide_fc.values())) / 1e9, 1) == pytest.approx(lecture_total)
    true_total = sum(c.macs for c in costs.values())
    assert round(true_total / 1e9, 1) != pytest.approx(lecture_total)


def test_conv_macs_equal_the_closed_form(paper_nets):
    costs = {c.name: c for c in calculators.layer_costs(paper_nets[0], C3D_INPUT)}
    for name, layer in paper_nets[0].named_children():
        if isinstance(layer, nn.Conv3d):
            c_out, t, h, w = costs[name].output
            assert costs[name].macs == c_out * t * h * w * layer.in_channels * 27


def test_pool5_without_padding_gives_4608_features():
    with torch.device("meta"):
        net = c3d.c3d(pool5_padding=False)
    costs = {c.name: c for c in calculators.layer_costs(net, C3D_INPUT)}
    assert costs["pool5"].output == (512, 1, 3, 3) and net.fc6.in_features == 4608   # fc6 follows


def test_image_nets_match_the_reference_counts(paper_nets):
    _, vgg, alex = paper_nets
    vgg_costs = calculators.layer_costs(vgg, (3, 224, 224))
    alex_costs = calculators.layer_costs(alex, (3, 227, 227))
    assert sum(c.macs for c in vgg_costs) / 1e9 == pytest.approx(15.470, abs=1e-3)
    assert sum(c.params for c in vgg_costs) / 1e6 == pytest.approx(138.36, abs=0.01)
    assert sum(c.macs for c in alex_costs) / 1e9 == pytest.approx(0.724, abs=1e-3)
    assert sum(c.params for c in alex_costs) / 1e6 == pytest.approx(60.97, abs=0.01)
    # the lecture's AlexNet figure rounds ours; its VGG-16 figure is about one 3x3 conv short
    assert round(sum(c.macs for c in alex_costs) / 1e9, 1) == facts.get("alexnet.total.gmacs").value
    gap = sum(c.macs for c in vgg_costs) / 1e9 - facts.get("vgg16.total.gmacs").value
    assert min(abs(c.macs / 1e9 - gap) for c in vgg_costs if len(c.output) == 3 and c.macs) < 0.05


@pytest.mark.slow
def test_small_c3d_runs_on_mini_clips_and_trains():
    torch.manual_seed(0)
    net = c3d.c3d_small(8, width=4)
    out = net(torch.rand(2, 3, 16, 32, 32))
    assert out.shape == (2, 8)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert [n for n, m in net.named_children() if isinstance(m, nn.Conv3d)] == list(C3D_CONV_GMACS)
    with pytest.raises(ValueError, match="8 convs"):
        c3d.c3d(channels=(64, 128))
    # built on the CPU too
    assert c3d.c3d(input_size=(32, 112, 112)).fc6.in_features == 512 * 2 * 4 * 4


def test_conv2plus1d_matches_the_parameter_budget():
    assert c3d.conv2plus1d_mid_channels(64, 64) == 144                 # 27*64*64 / (9*64 + 3*64)
    block = c3d.Conv2Plus1D(64, 64)
    full = nn.Conv3d(64, 64, 3, padding=1, bias=False)
    assert calculators.count_params(block) == calculators.count_params(full)
    x = torch.rand(1, 64, 4, 8, 8)
    assert block(x).shape == full(x).shape
    odd = c3d.Conv2Plus1D(3, 64)
    full_params = calculators.count_params(nn.Conv3d(3, 64, 3, bias=False))
    ratio = calculators.count_params(odd) / full_params
    assert 0.9 < ratio <= 1.0


@pytest.mark.parametrize("call, error, match", [
    (lambda: c3d.c3d(channels=64), ValueError, "channels must be a tuple of positive integers"),
    (lambda: c3d.c3d(fc=None), ValueError, "fc.*None"),
    (lambda: c3d.c3d(dropout="half"), ValueError, "dropout.*'half'"),
    (lambda: c3d.vgg16(0), ValueError, "num_classes.*0"),
    (lambda: c3d.alexnet(2.5), ValueError, "num_classes.*2.5"),
    (lambda: c3d.Conv2Plus1D(3, 4, mid_channels=0), ValueError,
     "mid_channels.*0"),
    (lambda: c3d.Conv2Plus1D(0, 4, mid_channels=2), ValueError,
     "in_channels.*0"),
    (lambda: c3d.c3d_costs(16, 112, float("inf")), ValueError,
     "width.*inf"),
])
def test_wrong_calls_name_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()
