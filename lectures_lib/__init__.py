"""Helper library for the executable textbook on deep learning for video (lecture 18, "Videos").

The folders are the architecture. Each package imports only packages on lower floors (checked by
``tests/test_docs.py``)::

    floor 5   train.py     python -m lectures_lib.train: any one-clip model on mini or real data
    floor 4   book/        zoo (every model, as its chapter builds it), leaderboard, facts, bench
              viz/         show (frames, clips, animations), plotting, widgets
    floor 3   models/      the lecture's models, one module per family (temporal/ for chapter 7)
              flow/        optical flow: estimators, ops, OpenCV references, truth, drawing, store
              training/    recipe and fit (loop), evaluation, distributed, checkpoints
    floor 2   data/        the mini dataset and its drawing, events, images, video files, real
                           datasets, batching, decoding workers
              costs/       sizes, parameters and multiply-adds, receptive fields, timing
    floor 1   core/        checks, devices, clip layout and samplers (video), shared blocks,
                           protocols (the extension hooks), speed

Chapter by chapter (``data``, ``flow`` and ``training`` also export their main module's names:
``data.standard_splits``, ``flow.lucas_kanade``, ``training.fit``):

- ch. 1, video tensors: :mod:`~lectures_lib.core.video` (layouts, the one input check, clip
  samplers), :mod:`~lectures_lib.data.video_io` (video files, real sample footage),
  :mod:`~lectures_lib.costs.calculators` (raw sizes, parameters, multiply-adds, layer costs).
- ch. 2, fusion: :mod:`~lectures_lib.data.mini` (the mini dataset; what its videos are in
  :mod:`~lectures_lib.data.synthetic`, how they are drawn in :mod:`~lectures_lib.data.drawing`),
  :mod:`~lectures_lib.models.fusion`, :mod:`~lectures_lib.core.blocks` (what every model shares),
  :mod:`~lectures_lib.training.loop` (the recipe and ``fit``),
  :mod:`~lectures_lib.training.evaluation` (multi-clip averaging, accuracy),
  :mod:`~lectures_lib.data.batching` (the one shuffle, whole batches at once).
- ch. 3, receptive fields: :mod:`~lectures_lib.costs.receptive_field`,
  :mod:`~lectures_lib.data.events` (an event early or late in a clip).
- ch. 4, C3D: :mod:`~lectures_lib.models.c3d` (C3D, AlexNet, VGG-16, the (2+1)-D block).
- ch. 5, optical flow: :mod:`~lectures_lib.flow.estimators` (Lucas–Kanade, Horn–Schunck) on
  :mod:`~lectures_lib.flow.ops`; :mod:`~lectures_lib.flow.reference` (OpenCV's Farneback and
  DIS, ``.flo``), :mod:`~lectures_lib.flow.truth` (pairs with exact flow),
  :mod:`~lectures_lib.flow.show` (colour coding, arrows), :mod:`~lectures_lib.flow.methods` (the
  four methods, named once).
- ch. 6, two-stream: :mod:`~lectures_lib.models.two_stream`, :mod:`~lectures_lib.flow.clips` (the
  flow of clips and datasets, stored as 8 bits).
- ch. 7, long-term temporal models: :mod:`lectures_lib.models.temporal` (``sequences``: per-frame
  features and CNN + LSTM; ``conv``, ``attention``, ``recurrent``; ``costs`` of sequence models).
- ch. 8, non-local: :mod:`~lectures_lib.models.nonlocal_block`.
- ch. 9, I3D: :mod:`~lectures_lib.models.inflate`, :mod:`~lectures_lib.data.images` (the image
  task the 2-D network learns first).
- ch. 10, SlowFast: :mod:`~lectures_lib.models.slowfast` (the network and its parts).
- ch. 11, summary: :mod:`~lectures_lib.book.zoo`, :mod:`~lectures_lib.book.leaderboard`.
- Everywhere: :mod:`~lectures_lib.book.facts` (the lecture's and papers' numbers, with sources),
  :mod:`~lectures_lib.viz.show`, :mod:`~lectures_lib.viz.plotting`, :mod:`~lectures_lib.viz.widgets`
  (explorers with static twins), :mod:`~lectures_lib.costs.timing` (honest speed measurements),
  :mod:`~lectures_lib.core.speed` (the speed policy; ``import lectures_lib`` makes glibc keep freed
  memory), :mod:`~lectures_lib.core.checks`, :mod:`~lectures_lib.core.devices`,
  :mod:`~lectures_lib.core.protocols` (the extension hooks every loop checks with ``isinstance``).
- Beyond the mini dataset (the scaling appendix): :mod:`~lectures_lib.data.datasets` and
  :mod:`~lectures_lib.data.dataset_splits` (UCF-101, HMDB-51, Kinetics-style folders),
  :mod:`~lectures_lib.data.decoding` (decoding workers), :mod:`~lectures_lib.data.mini_folders`
  (the mini dataset in UCF-101's layout), :mod:`~lectures_lib.flow.store` (a dataset's flow on
  disk), :mod:`~lectures_lib.training.distributed` and :mod:`~lectures_lib.training.checkpoints`
  (``torchrun``, resume), ``python -m lectures_lib.train``; ``python -m lectures_lib.book.bench``
  measures this machine.
"""

__version__ = "0.1.0"

from .core.speed import keep_freed_memory

keep_freed_memory()
