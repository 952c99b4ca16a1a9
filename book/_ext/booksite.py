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


class ChapterTimes(SphinxDirective):
    """A table of every chapter's measured execution time, in the order of ``book/timings.json``
    (the executor keeps it in book order); a GPU column only once a GPU time was recorded."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(TIMINGS)
        times = load_times(self.env.app)
        if not times:
            raise self.error(f"no times in {TIMINGS}: run python tests/execute_notebooks.py")
        gpu = any("gpu" in entry for entry in times.values())
        rows = ["| chapter | CPU |" + (" GPU |" if gpu else ""),
                "|---|---|" + ("---|" if gpu else "")]
        machines, dates = [], set()
        for name, entry in times.items():
            rows.append(f"| {{doc}}`/{Path(name).with_suffix('').as_posix()}` "
                        f"| {seconds(entry.get('cpu'))} |"
                        + (f" {seconds(entry.get('gpu'))} |" if gpu else ""))
            for kind in ("cpu", "gpu"):
                if kind in entry:
                    e = entry[kind]
                    machines.append(f"{'a GPU' if kind == 'gpu' else 'a CPU'} ({e['machine']}, "
                                    f"torch {e['torch']})")
                    dates.add(e["date"])
        rows += ["", f"Measured on {' and '.join(dict.fromkeys(machines))}, "
                     f"{' to '.join(sorted(dates)[::max(1, len(dates) - 1)])}."]
        container = nodes.container(classes=["chapter-times"])
        self.state.nested_parse(StringList(rows, source=TIMINGS), self.content_offset, container)
        return [container]


def add_time_to_header(app, doctree: nodes.document) -> None:
    """Under a chapter's title and its lecture line: how long it takes to run, and a link to all."""
    name = f"{app.env.docname}.ipynb"
    entry = load_times(app).get(name)
    if entry is None or "cpu" not in entry:
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
    gpu = f", {seconds(entry['gpu'])} on a GPU" if "gpu" in entry else ""
    link = addnodes.pending_xref("", nodes.inline(text="all chapters' times"), refdomain="std",
                                 reftype="doc", reftarget=f"/{STATUS_PAGE}", refexplicit=True,
                                 refdoc=app.env.docname)
    note = nodes.paragraph(classes=["chapter-time"])
    note += nodes.strong(text="Run time: ")
    note += nodes.Text(f"{seconds(entry['cpu'])} on a CPU ({entry['cpu']['machine']}){gpu}; ")
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
