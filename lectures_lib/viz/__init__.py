"""Floor 4, what the reader sees: frames, clips and animations (:mod:`.show`), charts in the
book's style (:mod:`.plotting`), and interactive explorers, each with a static twin for the website
(:mod:`.widgets`, which drive the models, costs and flow estimators of the floors below).
"""
