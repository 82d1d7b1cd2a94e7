"""`lab tui`: the terminal lab. Animates the events of a run (requests arriving, instances
starting and idling, CPU vs I/O, the bill) for each platform model side by side.

Layout: ``app.py`` (modes and global keys), one screen per module (``playground.py``,
``details.py``, ``help_screen.py``, ``file_dialog.py``, ``lessons_screen.py``), widgets in
``widgets/``, pure drawing arithmetic in ``raster.py`` / ``arrivals.py``, the playback clock
in ``clock.py``; styles in ``assets/tui/*.tcss``. What to draw comes from ``lab.view``.
"""
