"""The book's own Sphinx extension: chapter execution times on the site, and no third-party hosts.

- Each chapter's header says how long the chapter takes to execute, read from ``book/timings.json``
  (written by ``python tests/execute_notebooks.py``), so a reader knows before running it.
- The ``{chapter-times}`` directive renders that file as the status page's table.
- matplotlib's animations link Font Awesome 4 from a CDN for their buttons; on the site the link is
  dropped, because the theme already bundles Font Awesome, which draws the same icons offline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

TIMINGS = "book/timings.json"
STATUS_PAGE = "book/status"
FONT_AWESOME_CDN = re.compile(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">\s*')


def load_times(app) -> dict:
    path = Path(app.srcdir) / TIMINGS
    return json.loads(path.read_text()) if path.is_file() else {}


def seconds(entry: dict | None) -> str:
    return f"{entry['seconds']:.0f} s" if entry else "not measured"


# The devices a time can be recorded for (tests/execute_notebooks.py), in the table's order: two
# kinds of CPU, told apart by the kernels that ran, since they differ about twofold; then a GPU.
DEVICES = {"cpu-avx512": "CPU with AVX-512", "cpu-avx2": "CPU with AVX2", "gpu": "GPU"}


def devices_in(times: dict) -> list[str]:
    """The devices that have a time for some chapter, in :data:`DEVICES` order."""
    return [d for d in DEVICES if any(d in entry for entry in times.values())]


class ChapterTimes(SphinxDirective):
    """A table of every chapter's measured execution time, in the order of ``book/timings.json``
    (the executor keeps it in book order): a column for each kind of CPU and for a GPU, once a
    time was recorded on it."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(TIMINGS)
        times = load_times(self.env.app)
        if not times:
            raise self.error(f"no times in {TIMINGS}: run python tests/execute_notebooks.py")
        kinds = devices_in(times)
        rows = ["| chapter | " + " | ".join(DEVICES[d] for d in kinds) + " |",
                "|---|" + "---|" * len(kinds)]
        machines: dict[str, set[str]] = {}
        for name, entry in times.items():
            rows.append(f"| {{doc}}`/{Path(name).with_suffix('').as_posix()}` | "
                        + " | ".join(seconds(entry.get(d)) for d in kinds) + " |")
            for d in kinds:
                if d in entry:
                    e = entry[d]
                    machines.setdefault(f"{DEVICES[d]}: {e['machine']}, torch {e['torch']}",
                                        set()).add(e["date"])
        rows.append("")
        for machine, dates in machines.items():
            span = " to ".join(sorted(dates)[::max(1, len(dates) - 1)])
            rows.append(f"- {machine}, measured {span}.")
        stored = {DEVICES[d] for entry in times.values() for d, e in entry.items()
                  if e.get("stored")}
        rows += ["", f"The outputs this website shows were executed on a "
                     f"{' and a '.join(sorted(stored))}."]
        container = nodes.container(classes=["chapter-times"])
        self.state.nested_parse(StringList(rows, source=TIMINGS), self.content_offset, container)
        return [container]


def time_line(entry: dict) -> str:
    """A chapter's run times in words: ``"75 s on a CPU with AVX-512 (AMD EPYC, ...), 120 s on a
    CPU with AVX2 (...)"``."""
    return ", ".join(f"{seconds(entry[d])} on a {DEVICES[d]} ({entry[d]['machine']})"
                     for d in DEVICES if d in entry)


def add_time_to_header(app, doctree: nodes.document) -> None:
    """Under a chapter's title and its lecture line: how long it takes to run, and a link to all."""
    name = f"{app.env.docname}.ipynb"
    entry = load_times(app).get(name)
    if not entry:
        return
    app.env.note_dependency(TIMINGS)
    title = next(iter(doctree.findall(nodes.title)), None)
    if title is None:
        return
    section = title.parent
    after = section.index(title) + 1
    first = section[after] if after < len(section) else None
    if isinstance(first, nodes.paragraph) and first.astext().startswith("Lecture 18"):
        after += 1                            # keep the title and its lecture line together
    link = addnodes.pending_xref("", nodes.inline(text="all chapters' times"), refdomain="std",
                                 reftype="doc", reftarget=f"/{STATUS_PAGE}", refexplicit=True,
                                 refdoc=app.env.docname)
    note = nodes.paragraph(classes=["chapter-time"])
    note += nodes.strong(text="Run time: ")
    note += nodes.Text(f"{time_line(entry)}; ")
    note += link
    section.insert(after, note)


def add_stylesheet(app) -> None:
    app.config.html_static_path.append(str(Path(__file__).with_name("static")))
    app.add_css_file("booksite.css")


def drop_cdn_links(app, doctree: nodes.document, docname: str) -> None:
    for raw in doctree.findall(nodes.raw):
        if "html" in raw.get("format", "") and FONT_AWESOME_CDN.search(raw.astext()):
            text = FONT_AWESOME_CDN.sub("", raw.astext())
            raw.children = [nodes.Text(text)]


def setup(app):
    app.add_directive("chapter-times", ChapterTimes)
    app.connect("builder-inited", add_stylesheet)
    app.connect("doctree-read", add_time_to_header)
    app.connect("doctree-resolved", drop_cdn_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
