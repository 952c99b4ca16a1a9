"""The recurrent convolutional network: an RNN whose states are 2-D feature maps.

Why: an RNN on pooled frame features has lost *where* things are. A recurrent convolutional
network keeps a feature map per layer and updates it with convolutions instead of matrix
products; every layer's state depends on the same layer at ``t - 1`` and the layer below at ``t``::

    layer 2:   h2_{t-1} --conv--> h2_t --conv--> h2_{t+1} ...     -> max pool, Linear at t = T
                                   ^ conv (stride 2)
    layer 1:   h1_{t-1} --conv--> h1_t --conv--> h1_{t+1} ...
                                   ^ conv (stride 2)
    frames:                        x_t

The lecture's simple form is ``h_t = tanh(W_h * h_{t-1} + W_x * x_t)`` (:class:`ConvRNNCell`);
Ballas et al. use the GRU form (:class:`ConvGRUCell`), ``*`` a 2-D convolution throughout, and run
it on the feature maps of a pretrained 2-D CNN rather than on pixels: here the maps of a frozen
``FrameFeatures``, stored once by ``FeatureSequences(..., maps=True)``
(:mod:`lectures_lib.models.temporal.sequences`), with ``stride=1``.

Reference: Ballas et al., 2016, "Delving Deeper into Convolutional Networks for Learning Video
Representations" (ICLR, arXiv 1511.06432).
"""

from __future__ import annotations

import torch
from torch import nn

from ...core.blocks import max_pool_classifier
from ...core.checks import check_choice, check_positive_int
from ...core.video import check_clips, check_layout, fold_time, unfold_time


class ConvRNNCell(nn.Module):
    """``h_t = tanh(W_h * h_{t-1} + W_x * x_t)``, with ``*`` a 2-D convolution.

    Args:
        in_channels: channels of ``x_t``.
        hidden_channels: channels of ``h_t``.
        kernel_size: odd kernel size of both convolutions ("same" padding).
        stride: stride of ``W_x``: the state is ``stride`` times smaller than ``x_t``.

    Shape:
        ``x (N, C_in, H, W)``, ``h (N, C_h, H/s, W/s)`` or None (zeros) ``-> (N, C_h, H/s, W/s)``.

    Reference:
        Ballas et al., 2016 (ICLR, arXiv 1511.06432), in the lecture's simple (tanh) form.
    """

    gates, recurrent_gates = 1, 1

    def __init__(self, in_channels: int, hidden_channels: int, *, kernel_size: int = 3,
                 stride: int = 1) -> None:
        super().__init__()
        check_positive_int(in_channels=in_channels, hidden_channels=hidden_channels,
                           kernel_size=kernel_size, stride=stride)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (\"same\" padding), got {kernel_size}")
        self.hidden_channels, self.stride = hidden_channels, stride
        pad = kernel_size // 2
        self.w_x = nn.Conv2d(in_channels, self.gates * hidden_channels, kernel_size, stride, pad)
        self.w_h = nn.Conv2d(hidden_channels, self.recurrent_gates * hidden_channels, kernel_size,
                             1, pad, bias=False)

    def initial_state(self, x: torch.Tensor) -> torch.Tensor:
        """Zeros of the state's shape for input ``x``."""
        check_layout(x, "(N, C, H, W)", channels=self.w_x.in_channels, dtype="float")
        N, _, H, W = x.shape
        s = self.stride
        return x.new_zeros(N, self.hidden_channels, -(-H // s), -(-W // s))

    def _state(self, x: torch.Tensor, h: torch.Tensor | None) -> torch.Tensor:
        """``h``, checked against input ``x``, or zeros when it is None (:meth:`initial_state`)."""
        if h is None:
            return self.initial_state(x)
        check_layout(x, "(N, C, H, W)", channels=self.w_x.in_channels, dtype="float")
        check_layout(h, "(N, C, H, W)", channels=self.hidden_channels, dtype="float")
        N, _, H, W = x.shape
        s = self.stride
        if h.shape != (N, self.hidden_channels, -(-H // s), -(-W // s)):
            raise ValueError(f"h must be the state (N, C_h, H/s, W/s) of an input "
                             f"{tuple(x.shape)}, got {tuple(h.shape)}")
        return h

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        h = self._state(x, h)
        return self.recur(self.w_x(x), h)

    def recur(self, wx: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One step from the input conv's output ``wx = w_x(x_t)`` and the state ``h_{t-1}``.

        Why: the input convs do not depend on the state, so a caller that has every ``x_t`` can
        run them for all frames at once and keep only the state's convs sequential.

        Shape:
            ``wx (N, G*C_h, h, w)`` (``G`` = :attr:`gates`), ``h (N, C_h, h, w) -> (N, C_h, h, w)``.
        """
        self._check_recur(wx, h)
        return torch.tanh(self.w_h(h) + wx)

    def _check_recur(self, wx: torch.Tensor, h: torch.Tensor) -> None:
        """Raise unless ``wx`` is an input conv's output and ``h`` a state of the same size."""
        check_layout(wx, "(N, C, H, W)", channels=self.gates * self.hidden_channels, dtype="float")
        check_layout(h, "(N, C, H, W)", channels=self.hidden_channels, dtype="float")
        if h.shape[0] != wx.shape[0] or h.shape[2:] != wx.shape[2:]:
            raise ValueError(f"h must be the state (N, C_h, h, w) of wx {tuple(wx.shape)}, "
                             f"got {tuple(h.shape)}")


class ConvGRUCell(ConvRNNCell):
    """The GRU form, with convolutions in place of matrix products (Ballas et al.'s GRU-RCN)::

        z_t = sigmoid(W_z * x_t + U_z * h_{t-1})        r_t = sigmoid(W_r * x_t + U_r * h_{t-1})
        h~_t = tanh(W * x_t + U * (r_t . h_{t-1}))      h_t = (1 - z_t) . h_{t-1} + z_t . h~_t

    ``W_z, W_r, W`` are one conv with ``3 C_h`` outputs (``w_x``); ``U_z, U_r`` one with ``2 C_h``
    (``w_h``); ``U`` its own (``u``), because it sees ``r_t . h_{t-1}``.

    Args:
        in_channels: channels of ``x_t``.
        hidden_channels: channels of ``h_t``.
        kernel_size: odd kernel size of every convolution.
        stride: stride of the ``W`` convolutions.

    Shape:
        As :class:`ConvRNNCell`.

    Reference:
        Ballas et al., 2016, "Delving Deeper into Convolutional Networks for Learning Video
        Representations" (ICLR, arXiv 1511.06432), equations (3)-(6).
    """

    gates, recurrent_gates = 3, 2

    def __init__(self, in_channels: int, hidden_channels: int, *, kernel_size: int = 3,
                 stride: int = 1) -> None:
        super().__init__(in_channels, hidden_channels, kernel_size=kernel_size, stride=stride)
        self.u = nn.Conv2d(hidden_channels, hidden_channels, kernel_size, 1, kernel_size // 2,
                           bias=False)

    def recur(self, wx: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One step from ``wx = w_x(x_t)`` (the three input convs) and ``h_{t-1}``."""
        self._check_recur(wx, h)
        wz, wr, w = wx.chunk(3, dim=1)                          # 3 x (N, C_h, H/s, W/s)
        uz, ur = self.w_h(h).chunk(2, dim=1)                    # 2 x (N, C_h, H/s, W/s)
        z, r = torch.sigmoid(wz + uz), torch.sigmoid(wr + ur)
        candidate = torch.tanh(w + self.u(r * h))
        return (1 - z) * h + z * candidate


class RecurrentConvNet(nn.Module):
    """A stack of recurrent convolutional layers run over the frames, classified at the last step.

    Layer ``l`` at time ``t`` takes layer ``l - 1``'s state at ``t`` (the frame, for the first) and
    its own state at ``t - 1``. Each layer's input conv has stride ``stride``.

    The input may be the frames themselves or, as in Ballas et al., the feature maps of a
    pretrained 2-D CNN laid out as a clip (``in_channels = D'``, ``stride=1`` on small maps):
    :meth:`~lectures_lib.models.temporal.sequences.FrameFeatures.maps`, stored once by
    ``FeatureSequences(..., maps=True)``.

    Args:
        num_classes: K.
        cell: "tanh" (:class:`ConvRNNCell`) or "gru" (:class:`ConvGRUCell`).
        channels: state channels of each layer, bottom to top.
        in_channels: C of the frames (or of the feature maps).
        kernel_size: odd kernel size of every convolution.
        stride: stride of every layer's input conv: layer ``l``'s state is ``stride**l`` times
            smaller than the input.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits; :meth:`states` gives every layer's last state.

    Reference:
        Ballas et al., 2016, "Delving Deeper into Convolutional Networks for Learning Video
        Representations" (ICLR, arXiv 1511.06432).
    """

    def __init__(self, num_classes: int, *, cell: str = "gru", channels: tuple[int, ...] = (8, 16),
                 in_channels: int = 3, kernel_size: int = 3, stride: int = 2) -> None:
        super().__init__()
        check_choice("cell", cell, ("tanh", "gru"))
        if isinstance(channels, int) or not channels:
            raise ValueError(f"channels must be a non-empty tuple of ints, got {channels!r}")
        check_positive_int(num_classes=num_classes, in_channels=in_channels, stride=stride,
                           **{f"channels[{i}]": c for i, c in enumerate(channels)})
        Cell = ConvGRUCell if cell == "gru" else ConvRNNCell
        widths = (in_channels, *channels)
        self.in_channels = in_channels
        self.cells = nn.ModuleList(Cell(a, b, kernel_size=kernel_size, stride=stride)
                                   for a, b in zip(widths[:-1], widths[1:]))
        self.head = max_pool_classifier(channels[-1], num_classes)

    def states(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's state after the last frame: ``(B, C_l, H/s**l, W/s**l)``, bottom first."""
        check_clips(x, channels=self.in_channels)
        B, C, T, H, W = x.shape
        first, *above = self.cells
        # The first layer's input convs see only frames: run them for all frames at once, as
        # one conv over (B*T, C, H, W); wx[:, t] is then (B, G*C_1, h, w), G the cell's gates.
        wx = unfold_time(first.w_x(fold_time(x)), T)            # (B*T, G*C_1, h, w) -> (B, T, ...)
        hs: list[torch.Tensor | None] = [first.initial_state(x[:, :, 0]), *[None] * len(above)]
        for t in range(T):                                      # sequential in time
            hs[0] = below = first.recur(wx[:, t], hs[0])        # (B, C_1, H/s, W/s)
            for i, cell in enumerate(above, 1):
                hs[i] = below = cell(below, hs[i])
        return hs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.states(x)[-1])                    # (B, C_top, h, w) -> (B, K)
