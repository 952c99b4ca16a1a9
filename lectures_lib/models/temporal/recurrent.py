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
Ballas et al. use the GRU form (:class:`ConvGRUCell`), ``*`` a 2-D convolution throughout.

Reference: Ballas et al., 2016, "Delving Deeper into Convolutional Networks for Learning Video
Representations" (ICLR, arXiv 1511.06432).
"""

from __future__ import annotations

import torch
from torch import nn

from ...core.blocks import max_pool_classifier
from ...core.checks import check_choice, check_positive_int
from ...core.video import check_clips, check_layout


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
        return torch.tanh(self.w_h(h) + self.w_x(x))


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

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        h = self._state(x, h)
        wz, wr, w = self.w_x(x).chunk(3, dim=1)                 # 3 x (N, C_h, H/s, W/s)
        uz, ur = self.w_h(h).chunk(2, dim=1)                    # 2 x (N, C_h, H/s, W/s)
        z, r = torch.sigmoid(wz + uz), torch.sigmoid(wr + ur)
        candidate = torch.tanh(w + self.u(r * h))
        return (1 - z) * h + z * candidate


class RecurrentConvNet(nn.Module):
    """A stack of recurrent convolutional layers run over the frames, classified at the last step.

    Layer ``l`` at time ``t`` takes layer ``l - 1``'s state at ``t`` (the frame, for the first) and
    its own state at ``t - 1``. Each layer's input conv has stride 2.

    Args:
        num_classes: K.
        cell: "tanh" (:class:`ConvRNNCell`) or "gru" (:class:`ConvGRUCell`).
        channels: state channels of each layer, bottom to top.
        in_channels: C of the frames.
        kernel_size: odd kernel size of every convolution.

    Shape:
        ``(B, C, T, H, W) -> (B, K)`` logits; :meth:`states` gives every layer's last state.

    Reference:
        Ballas et al., 2016, "Delving Deeper into Convolutional Networks for Learning Video
        Representations" (ICLR, arXiv 1511.06432).
    """

    def __init__(self, num_classes: int, *, cell: str = "gru", channels: tuple[int, ...] = (8, 16),
                 in_channels: int = 3, kernel_size: int = 3) -> None:
        super().__init__()
        check_choice("cell", cell, ("tanh", "gru"))
        if isinstance(channels, int) or not channels:
            raise ValueError(f"channels must be a non-empty tuple of ints, got {channels!r}")
        check_positive_int(num_classes=num_classes, in_channels=in_channels,
                           **{f"channels[{i}]": c for i, c in enumerate(channels)})
        Cell = ConvGRUCell if cell == "gru" else ConvRNNCell
        widths = (in_channels, *channels)
        self.in_channels = in_channels
        self.cells = nn.ModuleList(Cell(a, b, kernel_size=kernel_size, stride=2)
                                   for a, b in zip(widths[:-1], widths[1:]))
        self.head = max_pool_classifier(channels[-1], num_classes)

    def states(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's state after the last frame: ``(B, C_l, H/2**l, W/2**l)``, bottom first."""
        check_clips(x, channels=self.in_channels)
        B, C, T, H, W = x.shape
        hs: list[torch.Tensor | None] = [None] * len(self.cells)
        for t in range(T):                                      # sequential in time
            below = x[:, :, t]                                  # (B, C, H, W)
            for i, cell in enumerate(self.cells):
                hs[i] = cell(below, hs[i])
                below = hs[i]
        return hs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.states(x)[-1])                    # (B, C_top, h, w) -> (B, K)
