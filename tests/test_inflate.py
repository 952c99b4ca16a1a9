"""Inflating 2-D networks to 3-D (lectures_lib.models.inflate): kernels, layers, whole networks,
state dicts, and the boring-video fixed point for each initialisation and time padding."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

from lectures_lib.core import blocks
from lectures_lib.data import images
from lectures_lib.models import fusion
from lectures_lib.models import inflate as inf


def randomised(net, seed=0):
    """Random weights and BatchNorm statistics, so that nothing is trivially equal; eval mode."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2)
                m.weight.normal_()
                m.bias.normal_()
    return net.eval()


def random_2d_net(kernel, seed=0):
    """A 2-D network with convs of size ``kernel``, bias, BatchNorm, both pools and a head."""
    torch.manual_seed(seed)
    pad = kernel // 2
    return randomised(nn.Sequential(
        nn.Conv2d(3, 8, kernel, padding=pad), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 12, kernel, stride=2, padding=pad, bias=False), nn.BatchNorm2d(12), nn.ReLU(),
        nn.AvgPool2d(2), nn.Conv2d(12, 6, 1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5)), seed)


def boring(images, frames):
    """Each image repeated ``frames`` times: (B, C, H, W) -> (B, C, T, H, W)."""
    return images.unsqueeze(2).repeat(1, 1, frames, 1, 1)


@pytest.mark.parametrize("kernel", [1, 3, 5])
@pytest.mark.parametrize("time_kernel", [1, 3, 5])
def test_inflated_weight_sums_to_the_2d_kernel_over_time(kernel, time_kernel):
    w = torch.randn(4, 3, kernel, kernel)
    for init in ("mean", "centre"):
        w3 = inf.inflate_weight(w, time_kernel, init)
        assert w3.shape == (4, 3, time_kernel, kernel, kernel)
        torch.testing.assert_close(w3.sum(2), w)
    centre = inf.inflate_weight(w, time_kernel, "centre")
    assert torch.equal(centre[:, :, time_kernel // 2], w)
    assert torch.isclose(centre.abs().sum(), w.abs().sum())   # zero at every other frame
    torch.testing.assert_close(inf.inflate_weight(w, time_kernel, "repeat").sum(2), time_kernel * w)


@pytest.mark.parametrize("kernel", [3, 5, 7])
@pytest.mark.parametrize("init", ["mean", "centre"])
def test_boring_video_reproduces_the_2d_network_with_replicate_padding(kernel, init):
    net2 = random_2d_net(kernel, seed=kernel)
    net3 = inf.inflate(net2, time_kernel=kernel, init=init, time_padding="replicate").eval()
    x = torch.rand(2, 3, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(net3(boring(x, 8)), net2(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel", [3, 5])
def test_with_zero_time_padding_only_the_centre_init_is_a_fixed_point_at_the_edge_frames(kernel):
    """Zero padding: a "mean" conv's first and last Kt // 2 output frames see padded zeros and
    differ from the 2-D answer; its interior frames, and every frame of a "centre" conv, match."""
    net2 = random_2d_net(kernel, seed=1)
    conv2 = net2[:3]                                           # conv, BatchNorm, ReLU
    x = torch.rand(2, 3, 16, 16)
    frames, edge = 9, kernel // 2
    with torch.no_grad():
        want = conv2(x)
        for init in ("mean", "centre"):
            out = inf.inflate(conv2, time_kernel=kernel, init=init)(boring(x, frames))
            for t in range(frames):
                same = torch.allclose(out[:, :, t], want, rtol=1e-4, atol=1e-5)
                assert same == (init == "centre" or edge <= t < frames - edge), (init, t)
        # the whole network: the edge frames reach the global pool, so the outputs differ
        mean_net = inf.inflate(net2, time_kernel=kernel, init="mean")
        assert not torch.allclose(mean_net(boring(x, frames)), net2(x), atol=1e-4)
        centre_net = inf.inflate(net2, time_kernel=kernel, init="centre")
        torch.testing.assert_close(centre_net(boring(x, frames)), net2(x), rtol=1e-4, atol=1e-5)


def test_repeating_without_dividing_is_not_a_fixed_point():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        out = inf.inflate_conv(conv, 3, init="repeat", time_padding="replicate")(boring(x, 4))
        bias = conv.bias[None, :, None, None]
        torch.testing.assert_close(out[:, :, 1] - bias, 3 * (conv(x) - bias))


def test_inflating_the_frame_encoder_gives_chapter_2s_3d_cnn_layer_for_layer():
    image_net = randomised(nn.Sequential(OrderedDict(features=blocks.frame_encoder(3, 16),
                                                     head=blocks.max_pool_classifier(32, 8))))
    layers = {"features.0.0": (3, 1), "features.1.0": (3, 2), "features.2.0": (3, 2)}
    video_net = inf.inflate(image_net, layers=layers)
    cnn = fusion.CNN3D(8)
    shapes = {k: v.shape for k, v in video_net.state_dict().items()}
    assert shapes == {k: v.shape for k, v in cnn.state_dict().items()}
    assert [m.stride for m in video_net.modules() if isinstance(m, nn.Conv3d)] == \
        [m.stride for m in cnn.modules() if isinstance(m, nn.Conv3d)]
    # and loading the 2-D weights into CNN3D by name gives the same function
    inf.inflate_state_dict(image_net.state_dict(), cnn)
    clip = torch.rand(2, 3, 16, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(cnn.eval()(clip), video_net.eval()(clip))


def test_inflate_copies_batchnorm_statistics_and_leaves_the_model_alone():
    net2 = random_2d_net(3)
    before = {k: v.clone() for k, v in net2.state_dict().items()}
    net3 = inf.inflate(net2)
    assert all(torch.equal(before[k], v) for k, v in net2.state_dict().items())
    assert isinstance(net3[1], nn.BatchNorm3d) and not net3[1].training
    torch.testing.assert_close(net3[1].running_var, net2[1].running_var)
    assert isinstance(net3[3], nn.MaxPool3d) and net3[3].kernel_size == (1, 2, 2)
    assert isinstance(net3[9], nn.AdaptiveAvgPool3d) and net3[9].output_size == (1, 1, 1)
    pooled = inf.inflate(net2, layers={"3": (2, 2)})[3]
    assert pooled.kernel_size == (2, 2, 2) and pooled.stride == (2, 2, 2)


def test_time_stride_and_padding_give_the_expected_sizes():
    conv = inf.inflate_conv(nn.Conv2d(3, 4, 3, padding=1), 5, time_stride=2)
    assert conv(torch.rand(1, 3, 16, 8, 8)).shape == (1, 4, 8, 8, 8)
    rep = inf.inflate_conv(nn.Conv2d(3, 4, 3, padding=1), 5, time_padding="replicate")
    assert rep(torch.rand(1, 3, 16, 8, 8)).shape == (1, 4, 16, 8, 8)
    assert "replicate" in repr(rep)


def test_state_dict_inflation_checks_kernel_shapes():
    net2 = nn.Sequential(nn.Conv2d(3, 4, 3))
    with pytest.raises(ValueError, match="cannot be inflated"):
        inf.inflate_state_dict(net2.state_dict(), nn.Sequential(nn.Conv3d(3, 4, (3, 5, 5))))
    with pytest.raises(RuntimeError, match="Missing|Unexpected"):
        inf.inflate_state_dict(net2.state_dict(),
                               nn.Sequential(nn.Conv3d(3, 4, 3), nn.Conv3d(4, 4, 1)))


@pytest.mark.parametrize("call, error", [
    (lambda: inf.inflate_weight(torch.zeros(3, 3, 3), 3), ValueError),
    (lambda: inf.inflate_weight(torch.zeros(1, 1, 3, 3), 0), ValueError),
    (lambda: inf.inflate_weight(torch.zeros(1, 1, 3, 3), 3, "middle"), ValueError),
    (lambda: inf.inflate_conv(nn.Conv3d(1, 1, 3)), TypeError),
    (lambda: inf.inflate_conv(nn.Conv2d(1, 1, 3, padding="same")), ValueError),
    (lambda: inf.inflate_conv(nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")), ValueError),
    (lambda: inf.inflate_batchnorm(nn.BatchNorm1d(3)), TypeError),
    (lambda: inf.inflate_pool(nn.ReLU()), TypeError),
    (lambda: inf.inflate(nn.Conv2d(1, 1, 3), time_padding="circular"), ValueError),
    (lambda: inf.inflate(nn.Sequential(nn.Conv2d(1, 1, 3)), layers={"7": (3, 1)}), ValueError),
    (lambda: inf.inflate(nn.Sequential(nn.ConvTranspose2d(1, 1, 3))), TypeError),
    (lambda: inf.inflate("net"), TypeError),
])
def test_bad_input_is_refused_with_a_clear_error(call, error):
    with pytest.raises(error):
        call()


def test_object_images_label_where_the_object_is_or_its_shape():
    where = images.ObjectImages("val", 64)
    assert where.images.shape == (64, 3, 32, 32) and where.classes == images.QUADRANTS
    assert 0 <= where.images.min() and where.images.max() <= 1
    assert set(where.labels.tolist()) == {0, 1, 2, 3}
    shape = images.ObjectImages("val", 64, task="shape")
    assert torch.equal(shape.images, where.images)            # the same frames, other labels
    x, y = where.batch([0, 5])
    assert x.shape == (2, 3, 32, 32) and torch.equal(y, where.labels[[0, 5]])
    with pytest.raises(ValueError, match="appearance bias"):
        images.ObjectImages("val", 4, images.MiniVideoConfig(appearance_bias=0.5))
    with pytest.raises(ValueError):
        images.ObjectImages("val", 4, task="colour")


@pytest.mark.parametrize("call, match", [
    (lambda: inf.InflatedConv3d(3, 4, (0, 3, 3)), r"kernel_size\[0\].*got 0"),
    (lambda: inf.InflatedConv3d(3, 4, (3, 3, 3), stride=(1, 0, 1)), r"stride\[1\].*got 0"),
    (lambda: inf.InflatedConv3d(3, 4, (3, 3, 3))(torch.rand(1, 5, 4, 8, 8)),
     r"C=3, got \(1, 5, 4, 8, 8\)"),
    (lambda: inf.InflatedConv3d(3, 4, (1, 3, 3))(torch.rand(1, 3, 8, 8)),
     r"C=3, got \(1, 3, 8, 8\)"),
    (lambda: inf.inflate(nn.Sequential(nn.Conv2d(3, 4, 3)), layers={"0": 3}),
     r"layers\['0'\].*got 3"),
])
def test_inflated_layers_name_what_they_got(call, match):
    with pytest.raises(ValueError, match=match):
        call()
