"""Helper library for the executable textbook on deep learning for video (lecture 18, "Videos").

One module per lecture concept; a chapter's code lives in the module of the same name:

- :mod:`lectures_lib.video`: clip layouts, the one input check, clip samplers (ch. 1);
  :mod:`lectures_lib.video_io`: reading and writing video files, real sample footage.
- :mod:`lectures_lib.calculators`: raw video sizes, parameter, multiply-add and per-layer costs.
- :mod:`lectures_lib.data`: the mini video dataset and its standard splits (ch. 2); what its videos
  are is in :mod:`lectures_lib.synthetic`, how they are drawn in :mod:`lectures_lib.drawing`.
- :mod:`lectures_lib.blocks`: the building blocks every model shares.
- :mod:`lectures_lib.fusion`: single-frame, late fusion, early fusion and 3-D CNN models (ch. 2).
- :mod:`lectures_lib.training`: the book's recipe and training loop;
  :mod:`lectures_lib.batching`: the one shuffle, and whole batches at once;
  :mod:`lectures_lib.evaluation`: predictions, multi-clip averaging, accuracy;
  :mod:`lectures_lib.devices`: the default-device rule and seeding.
- :mod:`lectures_lib.receptive_field`: receptive fields in space and time (ch. 3).
- :mod:`lectures_lib.c3d`: C3D, AlexNet, VGG-16 and the (2+1)-D block (ch. 4).
- :mod:`lectures_lib.flow`: Lucas–Kanade and Horn–Schunck optical flow in PyTorch (ch. 5), on
  :mod:`lectures_lib.flow_ops` (frames, warping, pyramids, end-point error);
  :mod:`lectures_lib.flow_reference`: OpenCV's Farneback and DIS, the ``.flo`` format;
  :mod:`lectures_lib.flow_truth`: image pairs with exact flow; :mod:`lectures_lib.flow_show`:
  colour coding and arrows.
- :mod:`lectures_lib.two_stream`: spatial and temporal streams and score fusion (ch. 6);
  :mod:`lectures_lib.flow_clips`: the flow of clips and datasets, stored as 8 bits.
- :mod:`lectures_lib.temporal_models`: per-frame CNN features and CNN + LSTM (ch. 7), with
  :mod:`lectures_lib.temporal_conv` (1-D temporal convolutions),
  :mod:`lectures_lib.temporal_attention` (temporal self-attention),
  :mod:`lectures_lib.recurrent_conv` (recurrent convolutional networks) and
  :mod:`lectures_lib.sequence_costs` (multiply-adds and memory of sequence models).
- :mod:`lectures_lib.nonlocal_block`: the non-local block and its cost (ch. 8).
- :mod:`lectures_lib.inflate` and :mod:`lectures_lib.images`: inflating 2-D networks, I3D (ch. 9).
- :mod:`lectures_lib.slowfast` and :mod:`lectures_lib.slowfast_parts`: SlowFast (ch. 10).
- :mod:`lectures_lib.zoo` (every model of the book) and :mod:`lectures_lib.leaderboard` (ch. 11).
- Beyond the mini dataset: :mod:`lectures_lib.datasets` (UCF-101, HMDB-51 and Kinetics-style
  folders) with :mod:`lectures_lib.dataset_splits` (the official split files) and
  :mod:`lectures_lib.decoding` (decoding workers that prepare the next batch);
  :mod:`lectures_lib.flow_store` (a dataset's flow precomputed to disk, resumable);
  :mod:`lectures_lib.distributed` and :mod:`lectures_lib.checkpoints` (data-parallel training under
  ``torchrun``, checkpoints and resume); ``python -m lectures_lib.train``;
  :mod:`lectures_lib.mini_folders` (the mini dataset written in UCF-101's layout; the appendix).
- :mod:`lectures_lib.timing`: honest speed measurements (warm-up, repeats, medians);
  :mod:`lectures_lib.speed`: running at the machine's speed, decided in one place: the speed
  policy (bf16 autocast and channels-last on CUDA), channels-last layouts, and glibc keeping
  freed memory (``import lectures_lib`` does it; it spares a CPU step thousands of page faults).
- :mod:`lectures_lib.facts`: the lecture's and papers' published numbers, with their sources.
- :mod:`lectures_lib.show` (frames, clips, animations), :mod:`lectures_lib.plotting` (charts) and
  :mod:`lectures_lib.widgets` (interactive explorers, each with a static twin).
- :mod:`lectures_lib.checks`: argument checks with errors that say what was expected.
- :mod:`lectures_lib.bench`: ``python -m lectures_lib.bench`` measures this machine.
"""

__version__ = "0.1.0"

from .speed import keep_freed_memory

keep_freed_memory()
