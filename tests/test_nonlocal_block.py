"""The non-local block (lectures_lib.models.nonlocal_block): shapes, both forms, sub-sampling, the
zero init that makes it the identity, its attention map, temporal self-attention and its cost."""

import pytest
import torch
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from lectures_lib.costs import calculators
from lectures_lib.models import fusion
from lectures_lib.models import nonlocal_block as nlb


def clip(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def randomise(block, seed=1):
    """Non-zero weights everywhere, so that the block is not the identity."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in block.parameters():
            p.normal_(0, 0.3)
    return block.eval()


@pytest.mark.parametrize("form", nlb.FORMS)
@pytest.mark.parametrize("subsample", [False, True])
def test_shapes_of_output_and_attention(form, subsample):
    block = randomise(nlb.NonLocalBlock(8, form=form, subsample=subsample))
    x = clip(2, 8, 3, 4, 6)
    assert block(x).shape == x.shape
    keys = 3 * 2 * 3 if subsample else 3 * 4 * 6
    assert block.attention(x).shape == (2, 3 * 4 * 6, keys)
    assert block.inner_channels == 4                          # the paper's half bottleneck
    assert nlb.NonLocalBlock(8, inner_channels=3).theta.out_channels == 3


@pytest.mark.parametrize("zero_init", nlb.ZERO_INITS)
@pytest.mark.parametrize("form", nlb.FORMS)
def test_zero_initialised_block_is_exactly_the_identity(zero_init, form):
    block = nlb.NonLocalBlock(8, form=form, zero_init=zero_init, subsample=True)
    x = clip(2, 8, 4, 6, 6)
    assert torch.equal(block.eval()(x), x)
    assert torch.equal(block.train()(x), x)                   # BatchNorm in training mode too
    randomise(block)
    assert not torch.allclose(block(x), x)
    block.reset_output()
    assert torch.equal(block(x), x)


def test_zero_init_options_pick_the_last_layer():
    paper = nlb.NonLocalBlock(8)
    lecture = nlb.NonLocalBlock(8, zero_init="conv")
    assert isinstance(paper.norm, torch.nn.BatchNorm3d) and paper.norm.weight.abs().sum() == 0
    assert paper.out.weight.abs().sum() > 0                   # W_z itself starts random
    assert isinstance(lecture.norm, torch.nn.Identity)
    assert lecture.out.weight.abs().sum() == 0 and lecture.out.bias.abs().sum() == 0


def test_softmax_rows_sum_to_one_and_dot_product_is_divided_by_the_keys():
    x = clip(2, 8, 2, 4, 4)
    soft = randomise(nlb.NonLocalBlock(8, subsample=True))
    a = soft.attention(x)
    torch.testing.assert_close(a.sum(-1), torch.ones(2, 32))
    assert (a >= 0).all()
    dot = randomise(nlb.NonLocalBlock(8, form="dot_product"))
    q = dot.theta(x).flatten(2)                                # (B, C', N)
    k = dot.phi(x).flatten(2)                                  # (B, C', M)
    torch.testing.assert_close(dot.attention(x), q.transpose(1, 2) @ k / 32)


def test_block_matches_a_loop_over_positions():
    block = randomise(nlb.NonLocalBlock(6, inner_channels=2, zero_init="conv", subsample=True))
    x = clip(1, 6, 2, 4, 4)
    q = block.theta(x)[0].flatten(1)                           # (C', N)
    k = F.max_pool3d(block.phi(x), (1, 2, 2))[0].flatten(1)    # (C', M)
    v = F.max_pool3d(block.g(x), (1, 2, 2))[0].flatten(1)      # (C', M)
    y = torch.stack([(torch.softmax(q[:, i] @ k, 0) * v).sum(1) for i in range(32)], 1)
    z = x + block.out(y.reshape(1, 2, 2, 4, 4))
    torch.testing.assert_close(block(x), z)


def test_on_one_position_per_frame_it_is_temporal_self_attention():
    B, C, T = 3, 8, 5
    block = randomise(nlb.NonLocalBlock(C, zero_init="conv"))
    x = clip(B, C, T, 1, 1)
    tokens = x.flatten(2).transpose(1, 2)                      # (B, C, T, 1, 1) -> (B, T, C)

    def linear(conv, t):
        return F.linear(t, conv.weight.flatten(1), conv.bias)  # a 1x1x1 conv on tokens

    q, k, v = (linear(m, tokens) for m in (block.theta, block.phi, block.g))
    attended = F.scaled_dot_product_attention(q, k, v, scale=1.0)  # (B, T, C')
    expected = tokens + linear(block.out, attended)            # (B, T, C)
    out = block(x).flatten(2).transpose(1, 2)                  # (B, C, T, 1, 1) -> (B, T, C)
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("subsample", [False, True])
def test_mac_formula_matches_flop_counter(subsample):
    C, size = 16, (4, 6, 8)
    block = nlb.NonLocalBlock(C, subsample=subsample).eval()
    cost = nlb.nonlocal_cost(C, size, subsample=subsample)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        block(torch.zeros(1, C, *size))
    assert counter.get_total_flops() // 2 == cost.macs
    assert calculators.count_macs(block, (1, C, *size)) == cost.macs
    N = 4 * 6 * 8
    M = N // 4 if subsample else N
    assert (cost.queries, cost.keys, cost.affinity_bytes) == (N, M, 4 * N * M)
    assert cost.conv_macs == 4 * N * C * C // 2 and cost.attention_macs == 2 * N * M * C // 2


def test_subsampling_divides_the_affinity_by_four():
    full = nlb.nonlocal_cost(1024, (4, 14, 14))
    pooled = nlb.nonlocal_cost(1024, (4, 14, 14), subsample=True)
    assert full.affinity_bytes == 4 * pooled.affinity_bytes == 4 * 784 ** 2
    assert full.attention_macs == 4 * pooled.attention_macs


def test_inserting_a_zero_block_keeps_the_predictions_exactly():
    cnn = fusion.CNN3D(2).eval()
    x = clip(2, 3, 8, 16, 16)
    new = nlb.with_nonlocal(cnn, after=1, block=nlb.NonLocalBlock(32)).eval()
    assert len(new.features) == 4 and len(cnn.features) == 3   # the original is untouched
    assert isinstance(new.features[2], nlb.NonLocalBlock)
    assert torch.equal(new(x), cnn(x))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="form"):
        nlb.NonLocalBlock(8, form="gaussian")
    with pytest.raises(ValueError, match="zero_init"):
        nlb.NonLocalBlock(8, zero_init="none")
    with pytest.raises(TypeError, match="subsample"):
        nlb.NonLocalBlock(8, subsample=2)
    with pytest.raises(ValueError, match="inner_channels"):
        nlb.NonLocalBlock(1)
    with pytest.raises(ValueError, match="C=8"):
        nlb.NonLocalBlock(8)(torch.zeros(1, 4, 2, 2, 2))
    with pytest.raises(ValueError, match="H, W >= 2"):
        nlb.NonLocalBlock(8, subsample=True)(torch.zeros(1, 8, 2, 1, 1))
    cnn = fusion.CNN3D(2)
    with pytest.raises(ValueError, match="channels"):
        nlb.with_nonlocal(cnn, after=0, block=nlb.NonLocalBlock(32))
    with pytest.raises(ValueError, match="after"):
        nlb.with_nonlocal(cnn, after=3, block=nlb.NonLocalBlock(32))
    with pytest.raises(TypeError, match="features"):
        nlb.with_nonlocal(torch.nn.Linear(2, 2), after=0, block=nlb.NonLocalBlock(32))


def test_nonlocal_cost_refuses_a_subsampling_that_leaves_no_key():
    with pytest.raises(ValueError, match=r"subsample.*\(4, 1, 8\)"):
        nlb.nonlocal_cost(16, (4, 1, 8), subsample=True)
    with pytest.raises(TypeError, match="subsample.*'yes'"):
        nlb.nonlocal_cost(16, (4, 8, 8), subsample="yes")
