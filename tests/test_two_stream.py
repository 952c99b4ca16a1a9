"""Flow of clips and datasets (lectures_lib.flow.clips) and the two-stream models."""

import pytest
import torch

from lectures_lib import data, flow, training
from lectures_lib.flow import clips as flow_clips
from lectures_lib.flow import reference as flow_reference
from lectures_lib.models import two_stream as ts
from lectures_lib.training import evaluation

CONFIG = data.MiniVideoConfig(frames=8, height=16, width=16, speed=(0.5, 1.0))


@pytest.fixture(scope="module")
def videos():
    return data.MiniVideos("train", 16, CONFIG, cache=True)


def test_clip_flows_computes_every_consecutive_pair(videos):
    clips, _ = videos.batch([0, 1])
    flows = flow_clips.clip_flows(clips, window=7, levels=2)
    assert flows.shape == (2, 2, 7, 16, 16)
    one = flow.lucas_kanade(clips[1:2, :, 3], clips[1:2, :, 4], window=7, levels=2)[0]
    torch.testing.assert_close(flows[1, :, 3], one, atol=1e-5, rtol=0)
    assert flow_clips.clip_flows(clips, flow_reference.dis).shape == (2, 2, 7, 16, 16)


def test_clip_flows_needs_two_frames():
    with pytest.raises(ValueError, match="at least two frames"):
        flow_clips.clip_flows(torch.rand(1, 3, 1, 16, 16))
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        flow_clips.clip_flows(torch.rand(3, 4, 16, 16))


def test_stack_flows_interleaves_u_and_v_per_pair_as_the_paper():
    flows = torch.arange(2 * 3).float().view(1, 2, 3, 1, 1).expand(1, 2, 3, 2, 2)
    stacked = ts.stack_flows(flows)                                  # (1, 6, 2, 2)
    assert stacked.shape == (1, 6, 2, 2)
    assert stacked[0, :, 0, 0].tolist() == [0, 3, 1, 4, 2, 5]        # u1 v1 u2 v2 u3 v3


def test_quantiser_stores_zero_exactly_and_rounds_within_half_a_step():
    q = flow_clips.FlowQuantiser(4.0)
    f = torch.linspace(-4, 4, 1001)
    codes = q.encode(f)
    assert codes.dtype == torch.uint8 and codes.min() == 0 and codes.max() == 254
    assert (q.decode(codes) - f).abs().max() <= q.step / 2 + 1e-6
    assert q.decode(q.encode(torch.zeros(3))).abs().max() == 0
    assert q.decode(q.encode(torch.tensor([9.0, -9.0]))).tolist() == [4.0, -4.0]  # clipped
    with pytest.raises(ValueError, match="bound"):
        flow_clips.FlowQuantiser(0)
    with pytest.raises(ValueError, match="uint8"):
        q.decode(torch.zeros(3))


def test_dataset_flows_match_clip_flows_and_feed_the_training_loop(videos):
    stored = flow_clips.dataset_flows(videos, frames=slice(2, 7), batch_size=5, window=7,
                                      levels=2)
    assert len(stored) == 16 and stored.codes.shape == (16, 2, 4, 16, 16)
    assert stored.nbytes == 16 * 2 * 4 * 16 * 16 and stored.classes == videos.classes
    clips, labels = videos.batch([7])
    direct = flow_clips.clip_flows(clips[:, :, 2:7], window=7, levels=2)
    x, y = stored[7]
    assert (x - direct[0].clamp(-4, 4)).abs().max() <= stored.quantiser.step / 2 + 1e-5
    assert y == int(labels[0])
    model = ts.TemporalStream(8, pairs=4, width=4)
    history = training.fit(model, stored, recipe=training.Recipe(epochs=1, batch_size=8),
                           verbose=False)
    assert len(history["train_loss"]) == 1


def test_flow_clips_rejects_what_is_not_uint8_codes():
    with pytest.raises(ValueError, match="uint8 codes"):
        flow_clips.FlowClips(torch.zeros(2, 2, 3, 4, 4), torch.zeros(2),
                             flow_clips.FlowQuantiser(1), ("a",))
    with pytest.raises(ValueError, match="labels"):
        flow_clips.FlowClips(torch.zeros(2, 2, 3, 4, 4, dtype=torch.uint8), torch.zeros(3),
                             flow_clips.FlowQuantiser(1), ("a",))
    with pytest.raises(TypeError, match="slice"):
        flow_clips.dataset_flows(data.MiniVideos("val", 2, CONFIG), frames=(1, 3))


@pytest.mark.parametrize("call, error, match", [
    (lambda: flow_clips.FlowClips(torch.zeros(2, 2, 1, 4, 4, dtype=torch.uint8), torch.zeros(2),
                                  flow_clips.FlowQuantiser(1), ("a",)), ValueError,
     r"labels.*float32"),
    (lambda: flow_clips.FlowClips(torch.zeros(2, 2, 1, 4, 4, dtype=torch.uint8),
                                  torch.tensor([0, 3]), flow_clips.FlowQuantiser(1), ("a", "b")),
     ValueError, r"labels.*\[0, 2\).*3"),
    (lambda: flow_clips.FlowClips(torch.zeros(2, 2, 1, 4, 4, dtype=torch.uint8), 3,
                                  flow_clips.FlowQuantiser(1), ("a",)), ValueError, "int labels"),
    (lambda: flow_clips.FlowClips(torch.zeros(0, 2, 1, 4, 4, dtype=torch.uint8),
                                  torch.zeros(0, dtype=torch.long), flow_clips.FlowQuantiser(1),
                                  ("a",)), ValueError, r"codes.*\(0, 2, 1, 4, 4\)"),
    (lambda: flow_clips.FlowClips(torch.zeros(2, 2, 1, 4, 4, dtype=torch.uint8),
                                  torch.zeros(2, dtype=torch.long), 4.0, ("a",)), TypeError,
     "quantiser.*float"),
    (lambda: flow_clips.clip_flows(torch.rand(1, 3, 3, 16, 16), "lucas_kanade"), TypeError,
     "method.*'lucas_kanade'"),
    (lambda: flow_clips.dataset_flows(data.MiniVideos("val", 2, CONFIG), "dis"), TypeError,
     "method.*'dis'"),
])
def test_flow_clips_name_the_argument_and_the_value_they_got(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_dataset_flows_refuses_an_empty_dataset():
    class NoVideos(torch.utils.data.Dataset):
        classes = ("a",)

        def __len__(self) -> int:
            return 0

        def batch(self, indices):
            raise AssertionError("never asked for a batch")

    with pytest.raises(ValueError, match="dataset.*got 0"):
        flow_clips.dataset_flows(NoVideos())


@pytest.mark.parametrize("flow, match", [
    (torch.zeros(3, dtype=torch.uint8), "flow.*uint8"),
    (torch.zeros(3, dtype=torch.int64), "flow.*int64"),
    (torch.zeros(3, dtype=torch.bool), "flow.*bool"),
    (torch.tensor([0.0, float("nan")]), "flow.*NaN"),
])
def test_quantiser_refuses_what_is_not_float_flow(flow, match):
    with pytest.raises(ValueError, match=match):
        flow_clips.FlowQuantiser(4.0).encode(flow)


def test_temporal_stream_takes_2L_channels_and_checks_L():
    model = ts.TemporalStream(5, pairs=3, width=4)
    assert model.encoder[0][0].in_channels == 6
    assert model(torch.rand(2, 2, 3, 16, 16)).shape == (2, 5)
    with pytest.raises(ValueError, match="T=3"):
        model(torch.rand(2, 2, 4, 16, 16))


def test_spatial_stream_trains_on_one_frame_and_averages_frames_at_test():
    torch.manual_seed(0)
    model = ts.SpatialStream(4, width=4).eval()
    frame = torch.rand(2, 3, 1, 16, 16)
    repeated = frame.expand(2, 3, 5, 16, 16)
    torch.testing.assert_close(model(repeated), model(frame))       # average of equal frames
    loss, out = model.training_loss(torch.rand(3, 3, 5, 16, 16), torch.tensor([0, 1, 2]))
    assert loss.ndim == 0 and out.shape == (3, 4)


def test_builders_are_seeded():
    a, b = ts.two_stream_models(4, 3)["temporal stream"](), ts.two_stream_models(4, 3)[
        "temporal stream"]()
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert isinstance(ts.two_stream_models()["spatial stream"](), ts.SpatialStream)


def test_average_fusion_and_a_linear_fusion_that_learns_which_stream_to_trust():
    torch.manual_seed(0)
    labels = torch.arange(200) % 4
    good = torch.nn.functional.one_hot(labels, 4).float() * 0.7 + 0.075
    noise = torch.rand(200, 4).softmax(1)
    torch.testing.assert_close(ts.average_fusion(good, noise), (good + noise) / 2)
    fusion = ts.fit_score_fusion([noise, good], labels)
    with torch.no_grad():
        assert (fusion(noise, good).argmax(1) == labels).all()
    assert fusion.linear.weight[:, 4:].abs().sum() > fusion.linear.weight[:, :4].abs().sum()
    with pytest.raises(ValueError, match="one shape"):
        ts.average_fusion(good, noise[:10])
    with pytest.raises(ValueError, match=r"\(200,\) labels"):
        ts.fit_score_fusion([good, noise], labels[:10])


@pytest.mark.parametrize("call, error, match", [
    (lambda p: ts.ScoreFusion(5)(p[:, :3], p[:, :3]), ValueError, "K=5.*K=3"),
    (lambda p: ts.ScoreFusion(5)(p, p, p), ValueError, "2 streams.*got 3"),
    (lambda p: ts.ScoreFusion(5)(p), ValueError, "2 streams.*got 1"),
    (lambda p: ts.average_fusion(torch.ones(4, 5, dtype=torch.int64)), ValueError, "int64"),
    (lambda p: ts.average_fusion(p[:0], p[:0]), ValueError, r"\(0, 5\)"),
    (lambda p: ts.average_fusion(p, "scores"), TypeError, r"probabilities\[1\].*str"),
    (lambda p: ts.fit_score_fusion([p, p], torch.zeros(4), steps=1), ValueError,
     "labels.*float32"),
    (lambda p: ts.fit_score_fusion([p, p], torch.full((4,), 9), steps=1), ValueError,
     r"labels.*\[0, 5\).*9"),
    (lambda p: ts.SpatialStream(5, width=2).training_loss(torch.rand(2, 3, 2, 8, 8),
                                                          torch.zeros(3, dtype=torch.long)),
     ValueError, r"labels.*\(2,\).*\(3,\)"),
])
def test_fusion_heads_name_what_they_got(call, error, match):
    probabilities = torch.rand(4, 5).softmax(1)
    with pytest.raises(error, match=match):
        call(probabilities)


def test_fused_streams_evaluate_through_the_shared_loop(videos):
    stored = flow_clips.dataset_flows(videos, window=7, levels=2)
    model = ts.TemporalStream(8, pairs=7, width=4)
    probs, labels = evaluation.predict(model, stored)
    assert probs.shape == (16, 8) and torch.equal(labels, videos.labels)
