"""Floor 1, what everything else stands on: argument checks (:mod:`.checks`), devices and seeding
(:mod:`.devices`), the clip tensor layout, its one check and the clip samplers (:mod:`.video`), the
layers every model shares (:mod:`.blocks`), the extension hooks the loops recognise
(:mod:`.protocols`), and the speed policy (:mod:`.speed`).

Imports nothing else from the library.
"""
