"""Floor 2, what a model costs: sizes, parameters and multiply-adds (:mod:`.calculators`),
receptive fields in space and time (:mod:`.receptive_field`), and measured time
(:mod:`.timing`).

Imports only :mod:`lectures_lib.core`.
"""
