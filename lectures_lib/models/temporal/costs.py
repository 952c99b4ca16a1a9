"""What temporal models cost: multiply-adds by formula, reference implementations, saved memory.

Why formulas: ``torch.utils.flop_counter.FlopCounterMode`` counts only the operators it knows.
On a CPU, ``nn.LSTM`` runs as one fused oneDNN operator and ``F.scaled_dot_product_attention`` as
one fused flash-attention operator; the bare counter sees neither in full (chapter 7 shows it).
The book's one counting rule, :func:`lectures_lib.costs.calculators.counting`, switches oneDNN
off, so there an LSTM runs, and is counted, as its matrix products. The formulas below are checked
against reference implementations written with explicit matrix products, which the counter does
see::

    lstm_macs(T, D, H)       = T * 4H * (D + H)          per clip (4 gates, input and recurrence)
    attention_macs(T, E)     = 4 * T * E**2 + 2 * T**2 * E   (q, k, v, out projections; QK^T, AV)
    attention_matrix_bytes   = heads * T**2 * 4             the float32 T x T weights per clip

Reference: Hochreiter & Schmidhuber, 1997 (LSTM); Vaswani et al., 2017 (NeurIPS,
arXiv 1706.03762), self-attention.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from ...core.checks import check_choice, check_positive_int, check_tensor
from .attention import AttentionHead
from .sequences import check_sequences


def lstm_macs(length: int, input_size: int, hidden: int, *, batch: int = 1) -> int:
    """Multiply-adds of a one-layer LSTM over ``length`` steps: ``B T 4H (D + H)``.

    Args:
        length: T, the number of steps.
        input_size: D, the width of each input.
        hidden: H, the hidden size.
        batch: B, the number of sequences.
    """
    check_positive_int(length=length, input_size=input_size, hidden=hidden, batch=batch)
    return batch * length * 4 * hidden * (input_size + hidden)


def attention_macs(length: int, dim: int, *, batch: int = 1, projections: bool = True) -> int:
    """Multiply-adds of one self-attention layer: ``B (2 T^2 E + 4 T E^2)``.

    ``QK^T`` and the weighted sum of values cost ``T^2 E`` each whatever the number of heads; the
    four ``E x E`` projections (queries, keys, values, output) ``T E^2`` each.

    Args:
        length: T.
        dim: E, the width of queries, keys and values (all heads together).
        batch: B.
        projections: include the four projections.
    """
    check_positive_int(length=length, dim=dim, batch=batch)
    check_choice("projections", projections, (False, True))
    return batch * (2 * length ** 2 * dim + (4 * length * dim ** 2 if projections else 0))


def attention_matrix_bytes(length: int, *, heads: int = 1, batch: int = 1,
                           bytes_per_value: int = 4) -> int:
    """Bytes of the attention weights, ``B x heads x T x T`` values: quadratic in ``T``.

    Args:
        length: T.
        heads: attention heads (each has its own matrix).
        batch: B.
        bytes_per_value: 4 for float32.
    """
    check_positive_int(length=length, heads=heads, batch=batch, bytes_per_value=bytes_per_value)
    return batch * heads * length ** 2 * bytes_per_value


def lstm_reference(lstm: nn.LSTM, x: torch.Tensor) -> torch.Tensor:
    """A one-layer, batch-first ``nn.LSTM`` step by step, with explicit matrix products.

    Shape:
        ``(B, T, D) -> (B, T, H)``: the hidden state after every step, as ``lstm(x)[0]``.
    """
    if not isinstance(lstm, nn.LSTM) or lstm.num_layers != 1 or lstm.bidirectional \
            or not lstm.batch_first or lstm.proj_size:
        raise ValueError("expected a one-layer, one-directional, batch-first nn.LSTM")
    check_sequences(x, lstm.input_size)
    B, T, D = x.shape
    H = lstm.hidden_size
    h, c, out = x.new_zeros(B, H), x.new_zeros(B, H), []
    for t in range(T):
        gates = (x[:, t] @ lstm.weight_ih_l0.T + lstm.bias_ih_l0     # (B, D) @ (D, 4H)
                 + h @ lstm.weight_hh_l0.T + lstm.bias_hh_l0)        # (B, H) @ (H, 4H)
        i, f, g, o = gates.chunk(4, dim=1)                           # 4 x (B, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out.append(h)
    return torch.stack(out, dim=1)                                   # T x (B, H) -> (B, T, H)


def attention_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention with explicit matrix products (the ``T x T`` matrix is made).

    Shape:
        ``q, k, v (..., T, E) -> (..., T, E)``, as ``F.scaled_dot_product_attention``.
    """
    check_tensor(q=q, k=k, v=v)
    if (q.ndim < 2 or not q.ndim == k.ndim == v.ndim or q.shape[:-2] != k.shape[:-2]
            or k.shape[:-1] != v.shape[:-1] or q.shape[-1] != k.shape[-1]
            or not all(t.is_floating_point() for t in (q, k, v))):
        raise ValueError(f"expected float q (..., T, E), k (..., S, E) and v (..., S, E'), got "
                         f"{tuple(q.shape)}, {tuple(k.shape)} and {tuple(v.shape)}")
    weights = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1)  # (..., T, T)
    return weights @ v                                                     # (..., T, E)


def attend_reference(head: AttentionHead, z: torch.Tensor) -> torch.Tensor:
    """``head.attend(z)`` with :func:`attention_reference` in place of the fused kernel.

    Shape:
        ``(B, T, dim) -> (B, T, dim)``.
    """
    if not isinstance(head, AttentionHead):
        raise TypeError(f"expected an AttentionHead, got {type(head).__name__}")
    check_sequences(z, head.out.in_features)
    B, T, E = z.shape
    q, k, v = head.qkv(z).view(B, T, 3, head.heads, E // head.heads).permute(2, 0, 3, 1, 4)
    # (B, T, 3E) -> 3 x (B, heads, T, E/heads)
    y = attention_reference(q, k, v)                                 # (B, heads, T, E/heads)
    return head.out(y.transpose(1, 2).reshape(B, T, E))              # -> (B, T, E)


def saved_activation_bytes(model: nn.Module, run: Callable[[], object]) -> int:
    """Bytes that autograd keeps for the backward pass while ``run()`` computes a loss.

    Every tensor saved for backward is recorded once (by its storage), and ``model``'s own weights
    are left out, so the count is exact and the same on every run: the training memory that
    activations cost (the input clip included, when a layer needs it for its weight gradient).

    Args:
        model: the model whose parameters are not counted.
        run: computes the loss (a forward pass with gradients enabled).
    """
    if not isinstance(model, nn.Module) or not callable(run):
        raise TypeError(f"expected a model and a function of no arguments, got "
                        f"{type(model).__name__} and {type(run).__name__}")
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in weights:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        run()
    return sum(seen.values())
