"""C3D, AlexNet, VGG-16 and (2+1)-D: architectures and costs against FACTS.md section 4."""

import pytest
import torch
from torch import nn

from lectures_lib import c3d, calculators

# FACTS.md section 4: recomputed GMACs per C3D conv layer
C3D_CONV_GMACS = {"conv1a": 1.040, "conv2a": 11.098, "conv3a": 5.549, "conv3b": 11.098, "conv4a": 2.774,
                  "conv4b": 5.549, "conv5a": 0.694, "conv5b": 0.694}


@pytest.fixture(scope="module")
def paper_nets():
    with torch.device("meta"):                                    # no memory for 80 M parameters
        return c3d.c3d(), c3d.vgg16(), c3d.alexnet()


def test_c3d_per_layer_cost_matches_the_recomputed_table(paper_nets):
    costs = {c.name: c for c in calculators.layer_costs(paper_nets[0], (3, 16, 112, 112))}
    for name, gmacs in C3D_CONV_GMACS.items():
        assert costs[name].macs / 1e9 == pytest.approx(gmacs, abs=6e-4), name
    assert costs["conv1a"].output == (64, 16, 112, 112) and costs["pool5"].output == (512, 1, 4, 4)
    assert costs["fc6"].params == 8192 * 4096 + 4096
    total = sum(c.macs for c in costs.values())
    assert total / 1e9 == pytest.approx(38.549, abs=1e-3)
    assert sum(c.params for c in costs.values()) / 1e6 == pytest.approx(79.99, abs=0.01)
    assert costs["conv1a"].activation_bytes == 4 * 64 * 16 * 112 * 112


def test_conv_macs_equal_the_closed_form(paper_nets):
    costs = {c.name: c for c in calculators.layer_costs(paper_nets[0], (3, 16, 112, 112))}
    for name, layer in paper_nets[0].named_children():
        if isinstance(layer, nn.Conv3d):
            c_out, t, h, w = costs[name].output
            assert costs[name].macs == c_out * t * h * w * layer.in_channels * 27


def test_pool5_without_padding_gives_4608_features():
    with torch.device("meta"):
        net = c3d.c3d(pool5_padding=False)
    costs = {c.name: c for c in calculators.layer_costs(net, (3, 16, 112, 112))}
    assert costs["pool5"].output == (512, 1, 3, 3) and net.fc6.in_features == 4608   # fc6 follows


def test_image_nets_match_the_reference_counts(paper_nets):
    _, vgg, alex = paper_nets
    vgg_costs = calculators.layer_costs(vgg, (3, 224, 224))
    alex_costs = calculators.layer_costs(alex, (3, 227, 227))
    assert sum(c.macs for c in vgg_costs) / 1e9 == pytest.approx(15.470, abs=1e-3)
    assert sum(c.params for c in vgg_costs) / 1e6 == pytest.approx(138.36, abs=0.01)
    assert sum(c.macs for c in alex_costs) / 1e9 == pytest.approx(0.724, abs=1e-3)
    assert sum(c.params for c in alex_costs) / 1e6 == pytest.approx(60.97, abs=0.01)


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
    assert c3d.c3d(input_size=(32, 112, 112)).fc6.in_features == 512 * 2 * 4 * 4   # built on the CPU too


def test_conv2plus1d_matches_the_parameter_budget():
    assert c3d.conv2plus1d_mid_channels(64, 64) == 144                 # 27*64*64 / (9*64 + 3*64)
    block = c3d.Conv2Plus1D(64, 64)
    full = nn.Conv3d(64, 64, 3, padding=1, bias=False)
    assert calculators.count_params(block) == calculators.count_params(full)
    x = torch.rand(1, 64, 4, 8, 8)
    assert block(x).shape == full(x).shape
    odd = c3d.Conv2Plus1D(3, 64)
    ratio = calculators.count_params(odd) / calculators.count_params(nn.Conv3d(3, 64, 3, bias=False))
    assert 0.9 < ratio <= 1.0
