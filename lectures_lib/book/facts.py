"""The numbers the lecture and its papers publish, as data: each with its claim and its source.

Why it exists: the book checks the numbers it quotes against its own code, so they live in one
place, ``facts.json`` beside this module, as published (nothing recomputed), each with who
published it and, where the book shows it, the chapter section that does::

    {"lecture": {name, sections}, "sources": {key: citation},
     "facts": [{id, claim, value, unit, source, where, lecture_section, chapter, heading}, ...]}
    facts.get("c3d.total.gmacs").value  ->  39.5      (book/appendix_numbers.ipynb recomputes it)

Reference: Johnson, 2019, EECS 498-007 / 598-005, University of Michigan, Lecture 18 ("Videos"),
and the papers named in ``facts.json``.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

Number = int | float
_REQUIRED = {"id", "claim", "value", "unit", "source", "lecture_section"}
_OPTIONAL = {"where", "chapter", "heading"}


@dataclass(frozen=True)
class Fact:
    """One published number: what is claimed, its value and unit, and who published it.

    Attributes:
        id: stable dotted name, e.g. ``"c3d.conv1a.gmacs"``.
        claim: one English sentence saying what the number is.
        value: the number, or a tuple of numbers (a size, a list of channels), as published.
        unit: what the value counts, as published (``"GB"`` stays GB even where it means GiB).
        source: the lecture ("Lecture 18, section 3, C3D cost table") or the paper (authors, year,
            venue or arXiv id, and the table or section).
        lecture_section: the lecture section (1-9) that quotes the number.
        chapter: the notebook that shows it, e.g. ``"ch04_c3d"``, or None.
        heading: the section heading in that notebook, e.g. ``"4.1 C3D, layer by layer"``.
    """

    id: str
    claim: str
    value: Number | tuple[Number, ...]
    unit: str
    source: str
    lecture_section: int
    chapter: str | None = None
    heading: str | None = None

    @property
    def href(self) -> str | None:
        """Link to the book section that shows the number, relative to a page in ``book/``."""
        return None if self.chapter is None else f"{self.chapter}.html#{section_id(self.heading)}"


def section_id(heading: str) -> str:
    """The HTML id Sphinx gives a heading: "3.2 The lecture's table" -> "the-lecture-s-table".

    Docutils' ``make_id`` for ASCII: lowercase words joined by "-", leading digits dropped.
    """
    return re.sub(r"^[-0-9]+", "", "-".join(re.findall(r"[a-z0-9]+", heading.lower())))


def parse(data: dict) -> dict[str, Fact]:
    """Facts by id from a facts document (the JSON of ``facts.json``), checked: known fields,
    sources and unique ids; a ``ValueError`` names the first fact that breaks a rule."""
    lecture, sources = data["lecture"], data["sources"]
    table: dict[str, Fact] = {}
    for entry in data["facts"]:
        name = entry.get("id")
        if not _REQUIRED <= set(entry) <= _REQUIRED | _OPTIONAL:
            raise ValueError(f"fact {name!r}: expected the fields {sorted(_REQUIRED)} and "
                             f"optionally {sorted(_OPTIONAL)}, got {sorted(entry)}")
        if name in table:
            raise ValueError(f"fact {name!r} appears twice")
        if ("chapter" in entry) != ("heading" in entry):
            raise ValueError(f"fact {name!r}: give both chapter and heading, or neither")
        section = entry["lecture_section"]
        if str(section) not in lecture["sections"]:
            raise ValueError(f"fact {name!r}: lecture_section must be one of "
                             f"{', '.join(lecture['sections'])}, got {section!r}")
        where = f", {entry['where']}" if "where" in entry else ""
        if entry["source"] == "lecture":
            source = f"{lecture['name']}, section {section}{where}"
        elif entry["source"] in sources and where:
            source = f"{sources[entry['source']]}{where}"
        else:
            raise ValueError(f"fact {name!r}: source must be 'lecture' or one of {sorted(sources)} "
                             f"with a 'where' (table or section), got {entry['source']!r}")
        value = tuple(entry["value"]) if isinstance(entry["value"], list) else entry["value"]
        table[name] = Fact(name, entry["claim"], value, entry["unit"], source, section,
                           entry.get("chapter"), entry.get("heading"))
    return table


@cache
def _document() -> dict:
    text = resources.files(__package__).joinpath("facts.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _facts() -> dict[str, Fact]:
    return parse(_document())


def lecture_sections() -> dict[int, str]:
    """The lecture's section titles by number, e.g. ``{3: "Sports-1M and C3D", ...}``."""
    return {int(number): title for number, title in _document()["lecture"]["sections"].items()}


def get(fact_id: str) -> Fact:
    """The fact named ``fact_id``; a ``KeyError`` names close matches when there is none."""
    table = _facts()
    if fact_id not in table:
        close = difflib.get_close_matches(fact_id, table, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(f"no fact {fact_id!r} in lectures_lib/book/facts.json{hint}")
    return table[fact_id]


def all() -> tuple[Fact, ...]:
    """Every fact, in the order of ``facts.json`` (lecture section by section)."""
    return tuple(_facts().values())
