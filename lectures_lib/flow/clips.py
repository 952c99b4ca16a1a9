"""The flow of clips and of whole datasets, computed once and stored as 8-bit numbers.

Why store it: optical flow costs more to compute than the temporal stream costs to run, so the
two-stream paper computed the flow of every video once, before training, and kept it on disk as
8-bit images. :func:`dataset_flows` does the same for a dataset, in batches, in memory::

    videos (N, 3, T, H, W) --clip_flows--> flows (N, 2, T-1, H, W) --FlowQuantiser--> uint8 codes
    FlowClips: codes -> (flow clip in pixels, label) items for the temporal stream

Reference:
    Simonyan & Zisserman, 2014, "Two-Stream Convolutional Networks for Action Recognition in
    Videos" (NeurIPS, arXiv 1406.2199): flow computed once and stored as JPEG images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ..core.checks import check_labels, check_positive, check_positive_int, check_tensor
from ..core.protocols import BatchDataset, Labelled
from ..core.video import check_clips
from .estimators import lucas_kanade

FlowMethod = Callable[..., torch.Tensor]


def clip_flows(clips: torch.Tensor, method: FlowMethod = lucas_kanade, **options) -> torch.Tensor:
    """The flow between every two consecutive frames of a batch of clips, all pairs at once.

    Args:
        clips: ``(B, C, T, H, W)`` frames, ``T >= 2``.
        method: a flow function ``(frames0, frames1, **options) -> (N, 2, H, W)``, e.g.
            :func:`lectures_lib.flow.lucas_kanade` or :func:`lectures_lib.flow.reference.dis`;
            further keyword arguments (``**options``) are passed to it.

    Shape:
        ``(B, C, T, H, W) -> (B, 2, T-1, H, W)``: ``T`` frames make ``T - 1`` pairs.
    """
    check_tensor(clips=clips)
    _check_method(method)
    if clips.ndim != 5:
        raise ValueError(f"expected clips (B, C, T, H, W), got shape {tuple(clips.shape)}")
    check_clips(clips, channels=clips.shape[1])
    B, C, T, H, W = clips.shape
    if T < 2:
        raise ValueError(f"flow needs at least two frames per clip, got T={T}")
    frames = clips.transpose(1, 2)                                    # (B, T, C, H, W)
    first = frames[:, :-1].reshape(B * (T - 1), C, H, W)              # (B*(T-1), C, H, W)
    second = frames[:, 1:].reshape(B * (T - 1), C, H, W)
    flow = method(first, second, **options)                           # (B*(T-1), 2, H, W)
    return flow.view(B, T - 1, 2, H, W).transpose(1, 2)               # (B, 2, T-1, H, W)


def _check_method(method: FlowMethod) -> None:
    if not callable(method):
        raise TypeError(f"method must be a flow function such as flow.lucas_kanade (for a name, "
                        f"see flow.methods.METHODS), got {method!r:.80}")


class FlowQuantiser:
    """Store flow as 8-bit numbers over a fixed range ``[-bound, bound]`` pixels, as the paper did.

    ``q = round(f / step) + 127`` with ``step = bound / 127``, so zero motion is stored exactly and
    ``q`` runs from 0 to 254; values beyond ``bound`` are clipped. Decoding multiplies back by
    ``step``: the scale is kept with the data. (The paper rescaled flow to [0, 255] and stored it
    as JPEG images, which also compresses it.)
    """

    def __init__(self, bound: float) -> None:
        check_positive(bound=bound)
        self.bound, self.step = float(bound), float(bound) / 127

    def encode(self, flow: torch.Tensor) -> torch.Tensor:
        """Float flow (pixels) -> uint8 codes, same shape.

        Raises:
            ValueError: ``flow`` is not floating point, or holds NaN (it has no code).
        """
        check_tensor(flow=flow)
        if not flow.is_floating_point():
            raise ValueError(f"flow must be a floating-point tensor (pixels), got {flow.dtype}")
        if flow.isnan().any():
            raise ValueError("flow has NaN values, which no code stores")
        return (flow / self.step).round().clamp(-127, 127).add(127).to(torch.uint8)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """uint8 codes -> float32 flow in pixels, same shape."""
        check_tensor(codes=codes)
        if codes.dtype != torch.uint8:
            raise ValueError(f"codes must be uint8, got {codes.dtype}")
        return (codes.float() - 127) * self.step

    def __repr__(self) -> str:
        return f"FlowQuantiser(bound={self.bound})"


class FlowClips(torch.utils.data.Dataset):
    """A dataset's flow, computed once and kept as 8-bit codes: ``(flow clip, label)`` items.

    Args:
        codes: ``(N, 2, L, H, W)`` uint8 (see :class:`FlowQuantiser`).
        labels: ``(N,)`` class indices.
        quantiser: how the codes map to pixels.
        classes: class names.
    """

    def __init__(self, codes: torch.Tensor, labels: torch.Tensor, quantiser: FlowQuantiser,
                 classes: Sequence[str]) -> None:
        count = len(labels) if isinstance(labels, (list, tuple)) or (
            isinstance(labels, torch.Tensor) and labels.ndim) else type(labels).__name__
        if not isinstance(codes, torch.Tensor) or codes.dtype != torch.uint8 or codes.ndim != 5 \
                or codes.shape[1] != 2 or count != len(codes):
            raise ValueError(f"expected uint8 codes (N, 2, L, H, W) and N labels, got "
                             f"{getattr(codes, 'dtype', type(codes).__name__)} codes of shape "
                             f"{tuple(getattr(codes, 'shape', ()))} and {count} labels")
        if 0 in codes.shape:
            raise ValueError(f"codes must have no empty axis, got shape {tuple(codes.shape)}")
        if not isinstance(quantiser, FlowQuantiser):
            raise TypeError(f"quantiser must be a FlowQuantiser, got {type(quantiser).__name__}")
        check_labels(torch.as_tensor(labels), size=len(codes), classes=len(tuple(classes)))
        self.codes, self.labels, self.quantiser = codes, torch.as_tensor(labels), quantiser
        self.classes = tuple(classes)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def nbytes(self) -> int:
        """Bytes the stored codes take."""
        return self.codes.numel() * self.codes.element_size()

    def batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Flow clips ``(B, 2, L, H, W)`` in pixels and labels ``(B,)``."""
        return self.quantiser.decode(self.codes[indices]), self.labels[indices]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        clips, labels = self.batch([index])
        return clips[0], int(labels[0])


def dataset_flows(dataset, method: FlowMethod = lucas_kanade, *, frames: slice = slice(None),
                  bound: float = 4.0, batch_size: int = 64, **options) -> FlowClips:
    """Compute the flow of every video of a dataset once, in batches, and keep it quantised.

    Args:
        dataset: a dataset of whole videos with ``batch(indices) -> (clips, labels)`` and
            ``classes`` (e.g. :class:`lectures_lib.data.MiniVideos`).
        method: the flow function (see :func:`clip_flows`); further keyword arguments
            (``**options``) are passed to it.
        frames: which frames of each video to use; ``T`` frames give ``L = T - 1`` flows.
        bound: the quantiser's range in pixels (see :class:`FlowQuantiser`).
        batch_size: videos per batch.
    """
    check_positive_int(batch_size=batch_size)
    _check_method(method)
    if (not isinstance(frames, slice) or not isinstance(dataset, BatchDataset)
            or not isinstance(dataset, Labelled)):
        raise TypeError("expected a dataset with batch(indices) and classes, and frames as a "
                        f"slice, got {type(dataset).__name__} and {frames!r}")
    if not len(dataset):
        raise ValueError(f"dataset must hold at least one video, got {len(dataset)}")
    quantiser = FlowQuantiser(bound)
    codes, labels = [], []
    for start in range(0, len(dataset), batch_size):
        clips, y = dataset.batch(list(range(start, min(start + batch_size, len(dataset)))))
        codes.append(quantiser.encode(clip_flows(clips[:, :, frames], method, **options)))
        labels.append(y)
    return FlowClips(torch.cat(codes), torch.cat(labels), quantiser, dataset.classes)


__all__ = ["clip_flows", "FlowQuantiser", "FlowClips", "dataset_flows"]
