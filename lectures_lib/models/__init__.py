"""Floor 3, the lecture's models, one module per family: single frame, late and early fusion and
the 3-D CNN (:mod:`.fusion`, ch. 2, with the appendix's toys in :mod:`.toy_models`), C3D
(:mod:`.c3d`, ch. 4), two-stream networks (:mod:`.two_stream`, ch. 6), sequence models
(:mod:`.temporal`, ch. 7), the non-local block (:mod:`.nonlocal_block`, ch. 8), inflation
(:mod:`.inflate`, ch. 9) and SlowFast (:mod:`.slowfast`, ch. 10).

Imports :mod:`lectures_lib.core` and :mod:`lectures_lib.costs`.
"""
