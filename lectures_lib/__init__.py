"""Helper library for the executable textbook on deep learning for video (lecture 18, "Videos").

One module per lecture concept; a chapter's code lives in the module of the same name:

- :mod:`lectures_lib.video`: clip layouts, video files, clip samplers, multi-clip averaging (ch. 1).
- :mod:`lectures_lib.calculators`: raw video sizes, parameter, multiply-add and per-layer costs.
- :mod:`lectures_lib.data`: the mini video dataset and folders of real videos (ch. 2); how its
  videos are drawn is in :mod:`lectures_lib.synthetic`.
- :mod:`lectures_lib.fusion`: single-frame, late fusion, early fusion and 3-D CNN models (ch. 2).
- :mod:`lectures_lib.training`: the training loop, evaluation and speed measurements.
- :mod:`lectures_lib.receptive_field`: receptive fields in space and time (ch. 3).
- :mod:`lectures_lib.c3d`: C3D, AlexNet, VGG-16 and the (2+1)-D block (ch. 4).
- :mod:`lectures_lib.plotting` and :mod:`lectures_lib.widgets`: figures, animations and
  interactive explorers (each explorer has a static twin).
- :mod:`lectures_lib.bench`: ``python -m lectures_lib.bench`` measures this machine.
"""

__version__ = "0.1.0"
