"""Helper library for the executable textbook on deep learning for video (lecture 18, "Videos").

One module per lecture concept; a chapter's code lives in the module of the same name:

- :mod:`lectures_lib.video`: clip layouts, video files, clip samplers, multi-clip averaging.
- :mod:`lectures_lib.calculators`: raw video sizes (and, later, receptive fields and costs).
- :mod:`lectures_lib.plotting`: frame strips, scrubbable animations, sampler timelines.
- :mod:`lectures_lib.widgets`: interactive explorers (each with a static twin in ``plotting``).
"""

__version__ = "0.1.0"
