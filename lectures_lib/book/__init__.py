"""Floor 4, the book as a whole: every model with its chapter's settings (:mod:`.zoo`), the
leaderboard of chapter 11 (:mod:`.leaderboard`, ``python -m lectures_lib.book.leaderboard``), the
lecture's and papers' published numbers with their sources (:mod:`.facts`), and a benchmark of
this machine (:mod:`.bench`, ``python -m lectures_lib.book.bench``).
"""
