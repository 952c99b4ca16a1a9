"""Long-term temporal models: a per-frame CNN, then a model of the sequence of frame features.

Why: 3-D CNNs see a few frames at a time. To relate events far apart in a video, the lecture runs
a 2-D CNN on every frame and hands the sequence of feature vectors to a sequence model::

    clip (B, C, T, H, W) -> FrameFeatures: frame_encoder + max pool, frame by frame -> (B, T, D)
        -> LSTMHead          recurrent: T sequential steps; sees the whole past
        -> TemporalConvHead  1-D convs over time: parallel; sees 1 + sum (k-1) d_l frames
                             (in :mod:`lectures_lib.models.temporal.conv`)
        -> AttentionHead     self-attention: parallel, sees everything in one layer, T x T memory
                             (in :mod:`lectures_lib.models.temporal.attention`)

:class:`SequenceModel` joins a :class:`FrameFeatures` and a head. A *frozen* :class:`FrameFeatures`
builds no autograd graph through the CNN: the memory saving the lecture mentions. Heads take
``(B, T, D)`` features, so they can also train on features computed once
(:class:`FeatureSequences`; with ``maps=True`` it stores the maps before the max over space,
``(B, D', T, h, w)``, for a recurrent convolutional network). The recurrent convolutional network
is in :mod:`lectures_lib.models.temporal.recurrent`; costs and reference implementations in
:mod:`lectures_lib.models.temporal.costs`.

Reference: Donahue et al., 2015, "Long-term Recurrent Convolutional Networks for Visual
Recognition and Description" (CVPR, arXiv 1411.4389).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import Dataset

from ...core.blocks import GlobalMaxPool, frame_encoder
from ...core.checks import check_choice, check_labels, check_positive_int, check_tensor
from ...core.devices import model_device
from ...core.protocols import OwnLoss
from ...core.video import check_clips, fold_time, unfold_time
from ...data.batching import batches


def check_sequences(x: torch.Tensor, features: int) -> None:
    """Raise unless ``x`` is a float batch of feature sequences ``(B, T, D)``, ``D = features``."""
    check_tensor(x=x)
    if x.ndim != 3 or x.shape[2] != features or 0 in x.shape or not x.is_floating_point():
        raise ValueError(f"expected float features (B, T, D) with D={features}, got "
                         f"{x.dtype} {tuple(x.shape)}")


class FrameFeatures(nn.Module):
    """The shared per-frame CNN: :func:`~lectures_lib.core.blocks.frame_encoder`, then a max over
    space.

    ``grid=1`` takes the max over the whole frame
    (:class:`~lectures_lib.core.blocks.GlobalMaxPool`); ``grid=2`` over each quarter, which keeps
    *where* things are, coarsely (left or right, top or bottom), at four times the features.
    ``frozen=True`` makes it a fixed feature extractor: its weights need no gradient, its forward
    runs under ``torch.no_grad`` (no activations kept for a backward pass), and its BatchNorm stays
    in eval mode even while the model around it trains.

    Args:
        in_channels: C of each frame.
        width: channels of the encoder's first conv; features have ``D = 2 * width * grid**2``.
        grid: take the max over each cell of a ``grid x grid`` partition of the frame.
        frozen: use the CNN as a fixed feature extractor.

    Shape:
        ``(B, C, T, H, W) -> (B, T, D)``; :meth:`maps`: ``(B, D', T, H/8, W/8)`` with
        ``D' = map_channels = 2 * width``.

    Reference:
        Donahue et al., 2015 (CVPR, arXiv 1411.4389): a 2-D CNN per frame, its features fed to an
        LSTM; the lecture: a frozen CNN as a feature extractor saves memory.
    """

    def __init__(self, *, in_channels: int = 3, width: int = 16, grid: int = 1,
                 frozen: bool = False) -> None:
        super().__init__()
        check_positive_int(in_channels=in_channels, width=width, grid=grid)
        check_choice("frozen", frozen, (False, True))
        self.in_channels, self.dim = in_channels, 2 * width * grid ** 2
        self.map_channels = 2 * width
        self.encoder = frame_encoder(in_channels, width)
        self.pool = GlobalMaxPool() if grid == 1 else \
            nn.Sequential(nn.AdaptiveMaxPool2d(grid), nn.Flatten())   # (N, D', g, g) -> (N, D)
        self.frozen = False
        if frozen:
            self.freeze()

    def freeze(self) -> FrameFeatures:
        """Fix the CNN's weights and BatchNorm statistics from now on; returns ``self``."""
        self.frozen = True
        self.encoder.requires_grad_(False)
        self.encoder.eval()
        return self

    def train(self, mode: bool = True) -> FrameFeatures:
        super().train(mode)
        if self.frozen:
            self.encoder.eval()
        return self

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        """Every frame's feature map: ``(B, C, T, H, W) -> (B*T, D', H/8, W/8)``."""
        check_clips(x, channels=self.in_channels)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            return self.encoder(fold_time(x))                   # (B*T, C, H, W) -> (B*T, D', h, w)

    def maps(self, x: torch.Tensor) -> torch.Tensor:
        """Every frame's feature map before the max over space, as a clip of maps.

        Why: a recurrent convolutional network runs on maps, which keep *where* things are;
        Ballas et al. (2016, arXiv 1511.06432) run theirs on a pretrained 2-D CNN's maps.

        Shape:
            ``(B, C, T, H, W) -> (B, D', T, H/8, W/8)`` with ``D' =`` :attr:`map_channels`.
        """
        maps = self._encode(x)                                  # (B*T, D', h, w)
        return unfold_time(maps, x.shape[2]).transpose(1, 2)    # -> (B, D', T, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self._encode(x)                                  # (B*T, D', h, w)
        return unfold_time(self.pool(maps), x.shape[2])         # (B*T, D) -> (B, T, D)


class LSTMHead(nn.Module):
    """An LSTM over the frame features; the class scores are read from its hidden states.

    Many-to-one (the default) trains on the scores after the last step; many-to-many trains on the
    scores after every step (the mini dataset has one label per clip, so every step gets it).
    Either way :meth:`step_logits` gives the scores after every step, and ``forward`` the last.

    Args:
        features: D.
        num_classes: K.
        hidden: the LSTM's hidden size.
        many_to_many: train on every step's scores, not only the last one's.

    Shape:
        ``(B, T, D) -> (B, K)`` logits; :meth:`step_logits`: ``(B, T, K)``.

    Reference:
        Hochreiter & Schmidhuber, 1997, "Long Short-Term Memory" (Neural Computation); CNN + LSTM:
        Donahue et al., 2015 (CVPR, arXiv 1411.4389).
    """

    def __init__(self, features: int, num_classes: int, *, hidden: int = 64,
                 many_to_many: bool = False) -> None:
        super().__init__()
        check_positive_int(features=features, num_classes=num_classes, hidden=hidden)
        check_choice("many_to_many", many_to_many, (False, True))
        self.features, self.many_to_many = features, many_to_many
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.classifier = nn.Linear(hidden, num_classes)

    def step_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores after every step: ``(B, T, D) -> (B, T, K)``."""
        check_sequences(x, self.features)
        states, _ = self.lstm(x)                                # (B, T, D) -> (B, T, hidden)
        return self.classifier(states)                          # (B, T, hidden) -> (B, T, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.step_logits(x)[:, -1]                       # (B, T, K) -> (B, K)

    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy of the last step's scores, or of every step's (many-to-many)."""
        logits = self.step_logits(x)                            # (B, T, K)
        B, T, K = logits.shape
        check_labels(y, size=B, classes=K)
        if not self.many_to_many:
            return nn.functional.cross_entropy(logits[:, -1], y), logits[:, -1]
        loss = nn.functional.cross_entropy(logits.reshape(B * T, K),  # (B, T, K) -> (B*T, K)
                                           y.repeat_interleave(T))
        return loss, logits[:, -1]


class SequenceModel(nn.Module):
    """A video classifier: per-frame features (:class:`FrameFeatures`), then a temporal head.

    Args:
        features: the per-frame CNN.
        head: any module ``(B, T, D) -> (B, K)``: :class:`LSTMHead`,
            :class:`~lectures_lib.models.temporal.conv.TemporalConvHead`,
            :class:`~lectures_lib.models.temporal.attention.AttentionHead`.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits.

    Reference:
        Donahue et al., 2015, "Long-term Recurrent Convolutional Networks for Visual Recognition
        and Description" (CVPR, arXiv 1411.4389).
    """

    def __init__(self, features: FrameFeatures, head: nn.Module) -> None:
        super().__init__()
        if not isinstance(features, FrameFeatures) or not isinstance(head, nn.Module):
            raise TypeError(f"expected a FrameFeatures and a head module, got "
                            f"{type(features).__name__} and {type(head).__name__}")
        self.features, self.head = features, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))                          # (B, T, D) -> (B, K)

    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The head's own loss when it has one (many-to-many), else cross-entropy."""
        z = self.features(x)
        if isinstance(self.head, OwnLoss):
            return self.head.training_loss(z, y)
        out = self.head(z)
        return nn.functional.cross_entropy(out, y), out


class FeatureSequences(Dataset):
    """Per-frame features computed once by a frozen CNN, as a dataset for training heads on.

    Why: with the CNN frozen, its output never changes, so computing it once (as feature
    extractors are used in practice) makes training a temporal head cost only the head.

    ``maps=True`` stores every frame's feature map before the max over space
    (:meth:`FrameFeatures.maps`), laid out as a clip, for a recurrent convolutional network
    (:class:`~lectures_lib.models.temporal.recurrent.RecurrentConvNet` with
    ``in_channels = D'``) to train on, as Ballas et al. train theirs on a pretrained CNN's maps.

    Args:
        features: a frozen :class:`FrameFeatures`.
        videos: a dataset of ``(clip, label)`` items with ``classes`` (e.g. a ``MiniVideos``).
        batch_size: clips per forward pass while extracting.
        maps: store feature maps instead of vectors.

    Shape:
        item: ``(T, D)`` features and an int label; :meth:`batch` gives ``(B, T, D)``. With
        ``maps=True``: item ``(D', T, H/8, W/8)``, batch ``(B, D', T, H/8, W/8)``.

    Reference:
        Ballas et al., 2016, "Delving Deeper into Convolutional Networks for Learning Video
        Representations" (ICLR, arXiv 1511.06432), for the maps.
    """

    def __init__(self, features: FrameFeatures, videos: Dataset, *, batch_size: int = 256,
                 maps: bool = False) -> None:
        if not isinstance(features, FrameFeatures) or not features.frozen:
            raise ValueError("features must be a frozen FrameFeatures (call .freeze() first)")
        check_positive_int(batch_size=batch_size)
        check_choice("maps", maps, (False, True))
        if not isinstance(videos, Dataset):
            raise TypeError(f"videos must be a Dataset of (clip, label) items, "
                            f"got {type(videos).__name__}")
        if not len(videos):
            raise ValueError(f"videos must hold at least one video, got {len(videos)}")
        device = model_device(features)
        features.eval()
        extract = features.maps if maps else features
        parts, labels = [], []
        with torch.no_grad():
            for x, y in batches(videos, batch_size):
                parts.append(extract(x.to(device)).cpu())
                labels.append(torch.as_tensor(y))
        self.features, self.labels = torch.cat(parts), torch.cat(labels)
        self.classes = tuple(getattr(videos, "classes", ()))

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.features[indices], self.labels[indices]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.features[index], int(self.labels[index])


@torch.no_grad()
def cnn_lstm(num_classes: int, *, frozen: bool = False, many_to_many: bool = False,
             width: int = 16, grid: int = 1, hidden: int = 64) -> SequenceModel:
    """CNN + LSTM (LRCN): :class:`FrameFeatures` then :class:`LSTMHead`."""
    features = FrameFeatures(width=width, grid=grid, frozen=frozen)
    return SequenceModel(features, LSTMHead(features.dim, num_classes, hidden=hidden,
                                            many_to_many=many_to_many))
