"""Long-term temporal models: CNN + LSTM, 1-D temporal convs, temporal self-attention, the
recurrent convolutional network, and their costs (lectures_lib.models.temporal.sequences and
friends)."""

import math

import pytest
import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from lectures_lib import data, training
from lectures_lib.models.temporal import attention as ta
from lectures_lib.models.temporal import conv as tc
from lectures_lib.models.temporal import costs as sc
from lectures_lib.models.temporal import recurrent as rc
from lectures_lib.models.temporal import sequences as tm
from lectures_lib.training import evaluation

CLIP = (2, 3, 8, 16, 16)
D = 32


def macs(run) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        run()
    return counter.get_total_flops() // 2


HEADS = {
    "lstm": lambda: tm.LSTMHead(D, 5),
    "lstm many-to-many": lambda: tm.LSTMHead(D, 5, many_to_many=True),
    "conv": lambda: tc.TemporalConvHead(D, 5, layers=2),
    "conv dilated same": lambda: tc.TemporalConvHead(D, 5, layers=3, dilated=True, padding="same"),
    "attention": lambda: ta.AttentionHead(D, 5),
    "attention sinusoidal": lambda: ta.AttentionHead(D, 5, positions="sinusoidal", heads=2),
    "attention learned": lambda: ta.AttentionHead(D, 5, positions="learned", max_len=8),
}


@pytest.mark.parametrize("name", HEADS)
def test_every_head_maps_a_clip_to_class_scores(name):
    torch.manual_seed(0)
    model = tm.SequenceModel(tm.FrameFeatures(width=16), HEADS[name]()).eval()
    assert model(torch.rand(CLIP)).shape == (2, 5)


@pytest.mark.parametrize("cell", ["tanh", "gru"])
def test_recurrent_conv_net_shapes(cell):
    model = rc.RecurrentConvNet(4, cell=cell, channels=(4, 6))
    x = torch.rand(CLIP)
    assert model(x).shape == (2, 4)
    assert [tuple(h.shape) for h in model.states(x)] == [(2, 4, 8, 8), (2, 6, 4, 4)]


def test_frame_features_grid_keeps_where_things_are():
    x = torch.rand(CLIP)
    assert tm.FrameFeatures(width=8)(x).shape == (2, 8, 16)
    assert tm.FrameFeatures(width=8, grid=2)(x).shape == (2, 8, 64)


def test_frame_feature_vectors_are_the_max_over_space_of_its_maps():
    torch.manual_seed(0)
    features = tm.FrameFeatures(width=8).eval()
    x = torch.rand(CLIP)
    maps = features.maps(x)
    assert maps.shape == (2, features.map_channels, 8, 2, 2) == (2, 16, 8, 2, 2)
    torch.testing.assert_close(maps.amax((3, 4)).transpose(1, 2), features(x))   # (B, T, D)
    with pytest.raises(ValueError, match=r"C=3, got \(2, 8, 3, 16, 16\)"):
        features.maps(torch.rand(2, 8, 3, 16, 16))


def test_recurrent_conv_net_runs_on_stored_feature_maps():
    """Ballas et al.'s setting: a GRU-RCN over a frozen CNN's maps, stored once, trained by the
    book's loop; stride 1 keeps the maps' size."""
    torch.manual_seed(0)
    config = data.MiniVideoConfig(task="order", frames=8, height=16, width=16, speed=(0.1, 0.2))
    videos = data.MiniVideos("train", 8, config)
    features = tm.FrameFeatures(width=4).freeze()
    maps = tm.FeatureSequences(features, videos, batch_size=3, maps=True)
    assert maps.features.shape == (8, 8, 8, 2, 2)                    # (N, D', T, h, w)
    torch.testing.assert_close(maps.batch([2])[0], features.maps(videos.batch([2])[0]))
    head = rc.RecurrentConvNet(2, in_channels=features.map_channels, channels=(6,), stride=1)
    assert [tuple(h.shape) for h in head.states(maps.batch([0, 1])[0])] == [(2, 6, 2, 2)]
    training.fit(head, maps, recipe=training.Recipe(epochs=1, batch_size=4), verbose=False)
    assert 0 <= evaluation.evaluate(head, maps).accuracy <= 1


def test_recur_is_the_cell_step_given_the_input_conv():
    torch.manual_seed(0)
    for cell in (rc.ConvRNNCell(3, 4, stride=2), rc.ConvGRUCell(3, 4, stride=2)):
        x, h = torch.rand(2, 3, 8, 8), torch.rand(2, 4, 4, 4)
        torch.testing.assert_close(cell.recur(cell.w_x(x), h), cell(x, h))


def test_frozen_features_build_no_graph_and_keep_batchnorm_fixed():
    torch.manual_seed(0)
    model = tm.cnn_lstm(2, frozen=True).train()
    assert not model.features.encoder.training and model.head.training
    assert not any(p.requires_grad for p in model.features.parameters())
    assert not model.features(torch.rand(CLIP)).requires_grad
    x, y = torch.rand(CLIP), torch.tensor([0, 1])
    tuned = tm.cnn_lstm(2)
    tuned.load_state_dict(model.state_dict())
    frozen_bytes = sc.saved_activation_bytes(model, lambda: model.training_loss(x, y)[0])
    tuned_bytes = sc.saved_activation_bytes(tuned, lambda: tuned.training_loss(x, y)[0])
    assert frozen_bytes < tuned_bytes / 2


def test_attention_without_positions_is_blind_to_frame_order():
    torch.manual_seed(0)
    z, perm = torch.randn(2, 8, D), torch.randperm(8)
    blind = ta.AttentionHead(D, 3).eval()
    torch.testing.assert_close(blind(z[:, perm]), blind(z), atol=1e-5, rtol=1e-5)
    for positions in ("sinusoidal", "learned"):
        seeing = ta.AttentionHead(D, 3, positions=positions, max_len=8).eval()
        assert not torch.allclose(seeing(z[:, perm]), seeing(z), atol=1e-3)


def test_sinusoidal_positions_follow_the_formula():
    P = ta.sinusoidal_positions(5, 8)
    assert P.shape == (5, 8)
    assert P[3, 2].item() == pytest.approx(math.sin(3 / 10000 ** (2 / 8)), abs=1e-6)
    assert P[3, 3].item() == pytest.approx(math.cos(3 / 10000 ** (2 / 8)), abs=1e-6)


def test_learned_positions_refuse_longer_clips():
    with pytest.raises(ValueError, match="max_len=4"):
        ta.AttentionHead(D, 2, positions="learned", max_len=4)(torch.randn(1, 5, D))


def test_lstm_head_equals_a_step_by_step_loop():
    torch.manual_seed(0)
    head = tm.LSTMHead(D, 3, hidden=6)
    x = torch.randn(2, 7, D)
    cell = nn.LSTMCell(D, 6)
    cell.load_state_dict({k.replace("_l0", ""): v for k, v in head.lstm.state_dict().items()})
    h = c = torch.zeros(2, 6)
    for t in range(7):
        h, c = cell(x[:, t], (h, c))
    torch.testing.assert_close(head(x), head.classifier(h), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(sc.lstm_reference(head.lstm, x), head.lstm(x)[0], atol=1e-5,
                               rtol=1e-5)


def test_many_to_many_trains_on_every_step_and_many_to_one_on_the_last():
    torch.manual_seed(0)
    x, y = torch.randn(2, 5, D), torch.tensor([0, 2])
    for many in (False, True):
        head = tm.LSTMHead(D, 3, many_to_many=many)
        logits = head.step_logits(x)                                 # (2, 5, 3)
        want = nn.functional.cross_entropy(
            logits.reshape(10, 3) if many else logits[:, -1], y.repeat_interleave(5) if many else y)
        loss, out = head.training_loss(x, y)
        torch.testing.assert_close(loss, want)
        torch.testing.assert_close(out, logits[:, -1])


def test_conv_rnn_cell_is_the_lectures_formula():
    torch.manual_seed(0)
    cell = rc.ConvRNNCell(3, 4, stride=2)
    x, h = torch.randn(2, 3, 8, 8), torch.randn(2, 4, 4, 4)
    want = torch.tanh(nn.functional.conv2d(h, cell.w_h.weight, padding=1)
                      + nn.functional.conv2d(x, cell.w_x.weight, cell.w_x.bias, 2, 1))
    torch.testing.assert_close(cell(x, h), want)
    torch.testing.assert_close(cell(x), cell(x, torch.zeros(2, 4, 4, 4)))


def test_conv_gru_cell_is_the_gru_of_ballas_et_al():
    torch.manual_seed(0)
    cell = rc.ConvGRUCell(3, 4)
    x, h = torch.randn(2, 3, 6, 6), torch.randn(2, 4, 6, 6)

    def conv(inp, weight, bias=None):
        return nn.functional.conv2d(inp, weight, bias, padding=1)

    Wz, Wr, W = cell.w_x.weight.chunk(3)
    bz, br, b = cell.w_x.bias.chunk(3)
    Uz, Ur = cell.w_h.weight.chunk(2)
    z = torch.sigmoid(conv(x, Wz, bz) + conv(h, Uz))
    r = torch.sigmoid(conv(x, Wr, br) + conv(h, Ur))
    candidate = torch.tanh(conv(x, W, b) + conv(r * h, cell.u.weight))
    torch.testing.assert_close(cell(x, h), (1 - z) * h + z * candidate)


@pytest.mark.parametrize("cell", ["tanh", "gru"])
def test_recurrent_conv_net_equals_a_loop_over_time_and_layers(cell):
    torch.manual_seed(0)
    model = rc.RecurrentConvNet(3, cell=cell, channels=(4, 5))
    x = torch.rand(CLIP)
    h1 = h2 = None
    for t in range(x.shape[2]):
        h1 = model.cells[0](x[:, :, t], h1)
        h2 = model.cells[1](h1, h2)
    torch.testing.assert_close(model(x), model.head(h2))


def test_temporal_receptive_field_grows_linearly_or_exponentially():
    assert tc.temporal_receptive_field(2, 3) == 5
    assert tc.temporal_receptive_field(4, 3, dilated=True) == 1 + 2 * (1 + 2 + 4 + 8)
    assert tc.TemporalConvHead(D, 2, layers=4, kernel_size=5).receptive_field == 17


def test_conv_head_sees_exactly_its_receptive_field():
    torch.manual_seed(0)
    for dilated in (False, True):
        head = tc.TemporalConvHead(D, 2, layers=3, dilated=dilated).eval()
        R = head.receptive_field
        x = torch.randn(1, R, D, requires_grad=True)
        y = head.convs(x.transpose(1, 2))                           # (1, hidden, 1)
        assert y.shape[2] == 1
        y.sum().backward()
        assert (x.grad.abs().sum(2) > 0).sum().item() == R == (7 if not dilated else 15)
    with pytest.raises(ValueError, match="receptive field 5"):
        tc.TemporalConvHead(D, 2)(torch.randn(1, 4, D))


def test_the_books_one_mac_rule_counts_an_lstm_by_its_formula():
    """calculators.count_macs switches oneDNN off while counting, so nn.LSTM's fused CPU kernel
    runs as its matrix products and is counted like any layer (chapter 11's CNN + LSTM)."""
    from lectures_lib.costs import calculators

    class Last(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(D, 6, batch_first=True)

        def forward(self, x):
            return self.lstm(x)[0]

    assert calculators.count_macs(Last(), (3, 7, D)) == sc.lstm_macs(7, D, 6, batch=3)


def test_formulas_equal_the_decomposed_implementations_under_flop_counter():
    torch.manual_seed(0)
    lstm = nn.LSTM(D, 6, batch_first=True)
    x = torch.randn(3, 7, D)
    assert macs(lambda: sc.lstm_reference(lstm, x)) == sc.lstm_macs(7, D, 6, batch=3)
    head = ta.AttentionHead(D, 2, dim=16, heads=2)
    z = torch.randn(3, 9, 16)
    assert macs(lambda: sc.attend_reference(head, z)) == sc.attention_macs(9, 16, batch=3)
    q = k = v = torch.randn(3, 9, 16)
    assert macs(lambda: sc.attention_reference(q, k, v)) == \
        sc.attention_macs(9, 16, batch=3, projections=False)
    torch.testing.assert_close(sc.attend_reference(head, z), head.attend(z), atol=1e-5, rtol=1e-5)
    with sdpa_kernel(SDPBackend.MATH):
        assert macs(lambda: head.attend(z)) == sc.attention_macs(9, 16, batch=3)


def test_attention_matrix_bytes_are_quadratic_in_length():
    assert sc.attention_matrix_bytes(10) == 400
    assert sc.attention_matrix_bytes(20, heads=2, batch=3) == 3 * 2 * 400 * 4


def test_saved_activation_bytes_counts_each_tensor_once_and_no_weights():
    layer = nn.Linear(4, 4, bias=False)
    x = torch.randn(8, 4, requires_grad=True)
    assert sc.saved_activation_bytes(layer, lambda: layer(x).sum()) == 8 * 4 * 4   # only x
    layer.requires_grad_(False)
    assert sc.saved_activation_bytes(layer, lambda: layer(x.detach()).sum()) == 0


def test_feature_sequences_train_a_head_with_the_shared_loop():
    config = data.MiniVideoConfig(task="order", frames=8, height=16, width=16, speed=(0.1, 0.2))
    videos = data.MiniVideos("train", 8, config)
    features = tm.FrameFeatures(width=4).freeze()
    sequences = tm.FeatureSequences(features, videos, batch_size=3)
    assert sequences.features.shape == (8, 8, 8) and sequences.classes == config.classes
    torch.testing.assert_close(sequences.batch([2])[0], features(videos.batch([2])[0]))
    head = tm.LSTMHead(8, 2)
    training.fit(head, sequences, recipe=training.Recipe(epochs=1, batch_size=4), verbose=False)
    assert 0 <= evaluation.evaluate(head, sequences).accuracy <= 1
    with pytest.raises(ValueError, match="frozen"):
        tm.FeatureSequences(tm.FrameFeatures(), videos)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"\(B, T, D\) with D=32"):
        tm.LSTMHead(D, 2)(torch.randn(2, 5, 7))
    with pytest.raises(ValueError, match="positions"):
        ta.AttentionHead(D, 2, positions="rotary")
    with pytest.raises(ValueError, match="cell"):
        rc.RecurrentConvNet(2, cell="lstm")
    with pytest.raises(ValueError, match="padding"):
        tc.TemporalConvHead(D, 2, padding="causal")
    with pytest.raises(TypeError, match="FrameFeatures"):
        tm.SequenceModel(nn.Identity(), tm.LSTMHead(D, 2))


@pytest.mark.parametrize("call, error, match", [
    (lambda: rc.ConvRNNCell(3, 4)(torch.rand(2, 5, 8, 8)), ValueError, r"C=3, got \(2, 5, 8, 8\)"),
    (lambda: rc.ConvRNNCell(3, 4)(torch.rand(2, 3, 2, 8, 8)), ValueError,
     r"C=3, got \(2, 3, 2, 8, 8\)"),
    (lambda: rc.ConvRNNCell(3, 4)(torch.ones(2, 3, 8, 8, dtype=torch.long)), ValueError, "int64"),
    (lambda: rc.ConvRNNCell(3, 4)(torch.rand(2, 3, 8, 8), torch.rand(2, 5, 8, 8)), ValueError,
     r"C=4, got \(2, 5, 8, 8\)"),
    (lambda: rc.ConvGRUCell(3, 4)(torch.rand(2, 3, 8, 8), torch.rand(2, 4, 4, 4)), ValueError,
     r"h .*got \(2, 4, 4, 4\)"),
    (lambda: rc.ConvGRUCell(3, 4).initial_state(torch.rand(3, 8, 8)), ValueError,
     r"got \(3, 8, 8\)"),
    (lambda: rc.ConvGRUCell(3, 4).recur(torch.rand(2, 12, 8, 8), torch.rand(2, 4, 4, 4)),
     ValueError, r"h .*wx \(2, 12, 8, 8\).*got \(2, 4, 4, 4\)"),
    (lambda: rc.ConvGRUCell(3, 4).recur(torch.rand(2, 4, 8, 8), torch.rand(2, 4, 8, 8)),
     ValueError, r"C=12, got \(2, 4, 8, 8\)"),
    (lambda: rc.RecurrentConvNet(2, stride=0), ValueError, "stride.*0"),
    (lambda: rc.RecurrentConvNet(2, in_channels=16, stride=1)(torch.rand(2, 3, 4, 2, 2)),
     ValueError, r"C=16, got \(2, 3, 4, 2, 2\)"),
    (lambda: ta.AttentionHead(4, 3, dim=8).attend(torch.rand(2, 3, 5)), ValueError,
     r"D=8, got torch.float32 \(2, 3, 5\)"),
    (lambda: sc.attend_reference(ta.AttentionHead(4, 3, dim=8), torch.rand(3, 8)), ValueError,
     r"D=8, got torch.float32 \(3, 8\)"),
    (lambda: sc.lstm_reference(nn.LSTM(4, 5, batch_first=True), torch.rand(2, 3, 6)), ValueError,
     r"D=4, got torch.float32 \(2, 3, 6\)"),
    (lambda: sc.lstm_reference(nn.LSTM(4, 5, batch_first=True), "x"), TypeError, "x.*str"),
    (lambda: sc.attention_reference(torch.rand(2, 3, 4), torch.rand(2, 3, 5), torch.rand(2, 3, 4)),
     ValueError, r"\(2, 3, 4\), \(2, 3, 5\) and \(2, 3, 4\)"),
    (lambda: sc.attention_reference("q", torch.rand(2, 3, 4), torch.rand(2, 3, 4)), TypeError,
     "q.*str"),
    (lambda: tm.FeatureSequences(tm.FrameFeatures(width=4).freeze(), "videos"), TypeError,
     "videos.*str"),
    (lambda: tm.FeatureSequences(tm.FrameFeatures(width=4).freeze(),
                                 torch.utils.data.TensorDataset(torch.rand(0, 3, 2, 8, 8))),
     ValueError, "videos.*got 0"),
])
def test_temporal_parts_name_what_they_got(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("call, name", [
    (lambda: tc.temporal_receptive_field(2, 3, dilated="yes"), "dilated"),
    (lambda: tc.TemporalConvHead(4, 3, dilated="yes"), "dilated"),
    (lambda: sc.attention_macs(4, 8, projections="yes"), "projections"),
    (lambda: tm.cnn_lstm(3, frozen="yes"), "frozen"),
    (lambda: tm.cnn_lstm(3, many_to_many="yes"), "many_to_many"),
    (lambda: tm.FeatureSequences(tm.FrameFeatures(width=4).freeze(), [], maps="yes"), "maps"),
])
def test_temporal_flags_refuse_what_is_not_true_or_false(call, name):
    with pytest.raises(ValueError, match=f"{name} must be one of False, True, got 'yes'"):
        call()
