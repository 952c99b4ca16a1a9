"""SlowFast (lectures_lib.models.slowfast): the sampling of the two pathways, Table 1's output
sizes, the three lateral designs, the single-pathway models, the paper's parameter and multiply-add
counts and the tiny model the book trains."""

import pytest
import torch
from torch import nn

from lectures_lib.costs import calculators
from lectures_lib.models import slowfast as sf
from lectures_lib.models.slowfast import Bottleneck, lateral_channels


def meta(build, **kwargs):
    with torch.device("meta"):
        return build(**kwargs)


def frame_numbers(T, *, B=2, C=3, H=4, W=4):
    """A clip whose every value is its frame number."""
    return torch.arange(T, dtype=torch.float32).view(1, 1, T, 1, 1).expand(B, C, T, H, W)


def test_pack_pathways_takes_every_stride_th_frame_from_frame_0():
    slow, fast = sf.pack_pathways(frame_numbers(64), 8, fast_stride=2)
    assert fast.shape == (2, 3, 32, 4, 4) and slow.shape == (2, 3, 4, 4, 4)
    assert fast[0, 0, :, 0, 0].tolist() == list(range(0, 64, 2))
    assert slow[0, 0, :, 0, 0].tolist() == [0, 16, 32, 48]         # tau = alpha x fast_stride
    slow, fast = sf.pack_pathways(frame_numbers(16), 4)
    assert torch.equal(fast, frame_numbers(16)) and slow[0, 0, :, 0, 0].tolist() == [0, 4, 8, 12]


@pytest.mark.parametrize("T, alpha, stride", [(30, 8, 2), (36, 4, 2), (15, 4, 1)])
def test_pack_pathways_needs_frames_divisible_by_alpha_times_stride(T, alpha, stride):
    with pytest.raises(ValueError, match=f"T={T} frames must be divisible"):
        sf.pack_pathways(frame_numbers(T), alpha, fast_stride=stride)


def test_r50_reproduces_table_1_output_sizes():
    net = meta(sf.slowfast_r50)
    rows = net.stage_outputs(torch.zeros(1, 3, 64, 224, 224, device="meta"))
    assert rows == [("data", (3, 4, 224, 224), (3, 32, 224, 224)),
                    ("conv1", (64, 4, 112, 112), (8, 32, 112, 112)),
                    ("pool1", (64, 4, 56, 56), (8, 32, 56, 56)),
                    ("res2", (256, 4, 56, 56), (32, 32, 56, 56)),
                    ("res3", (512, 4, 28, 28), (64, 32, 28, 28)),
                    ("res4", (1024, 4, 14, 14), (128, 32, 14, 14)),
                    ("res5", (2048, 4, 7, 7), (256, 32, 7, 7))]
    assert net(torch.zeros(2, 3, 64, 224, 224, device="meta")).shape == (2, 400)


def test_r50_kernels_and_strides_are_the_papers():
    net = meta(sf.slowfast_r50)
    assert net.slow["conv1"][0].kernel_size == (1, 7, 7) and net.fast["conv1"][0].kernel_size == (
        5, 7, 7)
    assert net.slow["conv1"][0].stride == (1, 2, 2) and net.slow["pool1"].kernel_size == (1, 3, 3)
    for pathway, kernels in ((net.slow, (1, 1, 3, 3)), (net.fast, (3, 3, 3, 3))):
        for name, kt, blocks in zip(("res2", "res3", "res4", "res5"), kernels, (3, 4, 6, 3)):
            stage = pathway[name]
            assert len(stage) == blocks and stage[0].branch[0].kernel_size == (kt, 1, 1)
            stride = 1 if name == "res2" else 2                    # on the 1x3x3 conv, never in T
            assert stage[0].branch[3].stride == (1, stride, stride)
            assert all(b.branch[3].stride == (1, 1, 1) for b in stage[1:])
    assert not any(m.bias is not None for m in net.modules() if isinstance(m, nn.Conv3d))


@pytest.mark.parametrize("design, factor", [("time_to_channel", 8), ("time_strided_sampling", 1),
                                            ("time_strided_conv", 2), (None, 0)])
def test_laterals_widen_the_next_slow_stage(design, factor):
    net = meta(sf.slowfast_r50, lateral=design)
    for name, C in zip(("res2", "res3", "res4", "res5"), (64, 256, 512, 1024)):
        assert net.slow[name][0].branch[0].in_channels == C + factor * C // 8   # C + k beta C
        assert net.fast[name][0].branch[0].in_channels == C // 8
    assert (net.laterals is None) == (design is None)
    if design:
        assert list(net.laterals) == ["pool1", "res2", "res3", "res4"]


@pytest.mark.parametrize("design", sf.LATERALS)
def test_lateral_output_shape(design):
    lateral = sf.Lateral(design, 8, 4)
    out = lateral(torch.randn(2, 8, 12, 5, 5))
    assert out.shape == (2, lateral_channels(design, 8, 4), 3, 5, 5) == (2, lateral.out_channels,
                                                                         3, 5, 5)


def test_time_to_channel_packs_each_group_of_alpha_frames_into_channels():
    fast = torch.randn(2, 3, 8, 2, 2)
    out = sf.Lateral("time_to_channel", 3, 4)(fast)                 # (2, 12, 2, 2, 2)
    for c in range(3):
        for k in range(4):
            for t in range(2):
                assert torch.equal(out[:, c * 4 + k, t], fast[:, c, 4 * t + k])


def test_time_strided_sampling_keeps_one_frame_in_alpha():
    fast = torch.randn(2, 3, 16, 2, 2)
    assert torch.equal(sf.Lateral("time_strided_sampling", 3, 4)(fast), fast[:, :, ::4])


def test_time_strided_conv_is_the_papers_5x1x1_conv():
    lateral = sf.Lateral("time_strided_conv", 8, 8)
    conv, norm, relu = lateral.conv
    assert (conv.kernel_size, conv.stride, conv.padding) == ((5, 1, 1), (8, 1, 1), (2, 0, 0))
    assert (conv.in_channels, conv.out_channels, conv.bias) == (8, 16, None)      # 2 beta C
    assert isinstance(norm, nn.BatchNorm3d) and isinstance(relu, nn.ReLU)
    assert lateral(torch.randn(1, 8, 32, 3, 3)).shape == (1, 16, 4, 3, 3)


@pytest.mark.parametrize("build, present, features", [(sf.slow_only_r50, "slow", 2048),
                                                      (sf.fast_only_r50, "fast", 256)])
def test_single_pathway_models_run_and_have_no_laterals(build, present, features):
    net = meta(build)
    assert net.laterals is None and net.head.fc.in_features == features
    assert (net.slow is None) == (present == "fast") and (net.fast is None) == (present == "slow")
    rows = net.stage_outputs(torch.zeros(1, 3, 64, 224, 224, device="meta"))
    slow, fast = rows[-1][1:]
    want = ((2048, 4, 7, 7), None) if present == "slow" else (None, (256, 32, 7, 7))
    assert (slow, fast) == want
    assert net(torch.zeros(1, 3, 64, 224, 224, device="meta")).shape == (1, 400)
    assert net.slow is None or net.slow["res2"][0].branch[0].in_channels == 64


def test_r50_parameter_count():
    # slow 32,827,456 + fast 514,152 + laterals 216,608 + head 922,000 (2304 x 400 + 400).
    # BatchNorm holds 60,688 of them: without it 34.42 M, the paper's 34.4 M (Table 2).
    costs = sf.pathway_costs(meta(sf.slowfast_r50), (3, 64, 224, 224))
    assert {k: p for k, (p, _) in costs.items()} == {"slow": 32_827_456, "fast": 514_152,
                                                      "laterals": 216_608, "head": 922_000}
    assert calculators.count_params(meta(sf.slowfast_r50)) == 34_480_216
    # PySlowFast logs 33,791,021 for its SLOWFAST_4x16_R50 with 101 classes (issue #111).
    assert calculators.count_params(meta(sf.slowfast_r50, num_classes=101)) == 33_791_021


def test_r50_multiply_adds_match_the_papers_gflops_at_256():
    def gmacs(net, size):
        return sum(m for _, m in sf.pathway_costs(net, (3, 64, size, size)).values()) / 1e9

    assert round(gmacs(meta(sf.slowfast_r50), 256), 1) == 36.1       # Table 2
    assert round(gmacs(meta(sf.slow_only_r50), 256), 1) == 27.3      # Table 5a
    assert round(gmacs(meta(sf.slowfast_r50), 224), 2) == 27.64      # PySlowFast's log at 224


def test_pathway_costs_add_up_to_count_macs():
    net = sf.slowfast_tiny()
    costs = sf.pathway_costs(net, (3, 16, 32, 32))
    assert set(costs) == {"slow", "fast", "laterals", "head"}
    assert sum(m for _, m in costs.values()) == calculators.count_macs(net, (1, 3, 16, 32, 32))
    assert sum(p for p, _ in costs.values()) == calculators.count_params(net)
    fast_share = costs["fast"][1] / sum(m for _, m in costs.values())
    assert 0.1 < fast_share < 1 / 3                       # 29% at alpha 4, beta 1/4 (R50: 19%)
    assert calculators.count_params(net) <= 150_000 and calculators.count_macs(
        net, (1, 3, 16, 32, 32)) <= 60_000_000


@pytest.mark.parametrize("alpha, beta, lateral", [
    (4, 1 / 4, "time_strided_conv"), (2, 1 / 2, "time_strided_conv"), (8, 1 / 8, "time_to_channel"),
    (2, 1 / 8, "time_strided_sampling"), (8, 1 / 2, None)])
def test_tiny_model_trains_for_any_alpha_beta_and_lateral(alpha, beta, lateral):
    torch.manual_seed(0)
    net = sf.slowfast_tiny(alpha=alpha, beta=beta, lateral=lateral)
    x = torch.randn(2, 3, 16, 32, 32)
    rows = dict((name, (s, f)) for name, s, f in net.stage_outputs(x))
    assert rows["res4"] == ((128, 16 // alpha, 4, 4), (round(128 * beta), 16, 4, 4))
    net(x).logsumexp(1).sum().backward()
    assert all(p.grad is not None and p.grad.isfinite().all() for p in net.parameters())


@pytest.mark.parametrize("pathways", [("slow",), ("fast",)])
def test_tiny_single_pathway(pathways):
    net = sf.slowfast_tiny(pathways=pathways)
    assert net.laterals is None and net(torch.randn(2, 3, 16, 32, 32)).shape == (2, 8)


def test_bottleneck_shortcut_projects_only_when_needed():
    assert isinstance(Bottleneck(8, 4, 8).shortcut, nn.Identity)
    assert isinstance(Bottleneck(8, 4, 16).shortcut, nn.Sequential)
    block = Bottleneck(8, 4, 8, time_kernel=3, spatial_stride=2)
    assert block(torch.randn(1, 8, 5, 6, 6)).shape == (1, 8, 5, 3, 3)


def test_bad_inputs_are_named():
    net = sf.slowfast_tiny()
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        net(torch.zeros(3, 16, 32, 32))
    with pytest.raises(ValueError, match="C=3"):
        net(torch.zeros(1, 1, 16, 32, 32))
    with pytest.raises(ValueError, match="T=15 frames must be divisible"):
        net(torch.zeros(1, 3, 15, 32, 32))
    with pytest.raises(ValueError, match="lateral"):
        sf.slowfast_tiny(lateral="time_to_space")
    with pytest.raises(ValueError, match="design"):
        sf.Lateral("sum", 8, 4)
    for bad in (("fast", "slow"), ("slow", "slow"), "slow", ()):
        with pytest.raises(ValueError, match="pathways"):
            sf.slowfast_tiny(pathways=bad)
    with pytest.raises(ValueError, match="beta"):
        sf.slowfast_tiny(beta=2)
    with pytest.raises(ValueError, match="at least 1 channel"):
        sf.slowfast_tiny(beta=1 / 64)
    with pytest.raises(ValueError, match="alpha"):
        sf.slowfast_tiny(alpha=0)
    with pytest.raises(ValueError, match="odd"):
        sf.Stage("res2", 1, 2, 3, 8, 16)
    with pytest.raises(ValueError, match="stages"):
        sf.SlowFast(4, stages=())
    with pytest.raises(TypeError, match="stem"):
        sf.SlowFast(4, stem=(64, 7))


@pytest.mark.parametrize("call, error, match", [
    (lambda: sf.scaled(0, 0.5), ValueError, "channels.*got 0"),
    (lambda: sf.scaled(8, "half"), ValueError, "beta.*'half'"),
    (lambda: sf.scaled(8, -1), ValueError, "beta.*got -1"),
    (lambda: lateral_channels("time_to_channel", 0, 4), ValueError, "fast_channels.*got 0"),
    (lambda: sf.Lateral("time_to_channel", 4, 2)(torch.rand(1, 3, 4, 4, 4)), ValueError,
     r"C=4, got \(1, 3, 4, 4, 4\)"),
    (lambda: sf.Lateral("time_strided_sampling", 4, 2)(torch.rand(1, 4, 4, 4)), ValueError,
     r"C=4, got \(1, 4, 4, 4\)"),
    (lambda: Bottleneck(4, 2, 8)(torch.rand(1, 3, 2, 4, 4)), ValueError,
     r"C=4, got \(1, 3, 2, 4, 4\)"),
    (lambda: sf.res_stage("res2", 4, pathway="slow"), TypeError, "stage.*str"),
])
def test_slowfast_parts_name_what_they_got(call, error, match):
    with pytest.raises(error, match=match):
        call()
