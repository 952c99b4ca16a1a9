"""lectures_lib.book.facts: the lecture's published numbers as package data, each with its
source."""

import json
import re

import nbformat
import pytest
import tomllib
from booktoc import ROOT
from docutils.nodes import make_id

from lectures_lib.book import facts

RAW = json.loads((ROOT / "lectures_lib" / "book" / "facts.json").read_text(encoding="utf-8"))


def test_ids_are_unique_and_dotted():
    ids = [entry["id"] for entry in RAW["facts"]]
    assert len(ids) == len(set(ids)) == len(facts.all())
    for fact_id in ids:
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", fact_id), fact_id


def test_every_fact_has_a_claim_a_value_and_a_source():
    for fact in facts.all():
        assert fact.claim.strip() and "\n" not in fact.claim and fact.claim.endswith("."), fact.id
        values = fact.value if isinstance(fact.value, tuple) else (fact.value,)
        assert values and all(type(v) in (int, float) for v in values), fact.id
        assert fact.unit.strip(), fact.id
        assert 1 <= fact.lecture_section <= 9, fact.id
        if fact.source.startswith("Lecture 18, section"):
            assert fact.source.startswith(f"Lecture 18, section {fact.lecture_section}"), fact.id
        else:                                                  # a paper: who, when, and where in it
            assert re.search(r"\b(19|20)\d\d\b", fact.source), fact.id
            assert re.search(r"Table|Section|Figure|abstract|dataset", fact.source), fact.id


def test_no_fact_cites_files_readers_cannot_see():
    text = (ROOT / "lectures_lib" / "book" / "facts.json").read_text(encoding="utf-8")
    assert "FACTS.md" not in text and "shared/" not in text and "/work" not in text


def test_unknown_ids_name_close_matches():
    assert facts.get("c3d.total.gmacs").value == 39.5
    with pytest.raises(KeyError, match=r"no fact 'c3d\.totl\.gmacs'.*mean 'c3d\.total\.gmacs'"):
        facts.get("c3d.totl.gmacs")
    with pytest.raises(KeyError, match=r"no fact 'nothing'"):
        facts.get("nothing")


def test_lists_become_tuples_and_sources_are_spelled_out():
    fact = facts.get("c3d.channels")
    assert fact.value == (64, 128, 256, 256, 512, 512, 512, 512)
    assert fact.source.startswith("Tran et al., 2015") and fact.source.endswith("Figure 3")
    assert facts.get("raw.sd_minute.size").source == "Lecture 18, section 1, raw video size"
    assert facts.lecture_sections()[3] == "Sports-1M and C3D"


@pytest.mark.parametrize("change, match", [
    (lambda d: d["facts"].append(dict(d["facts"][0])), "appears twice"),
    (lambda d: d["facts"][0].update(source="nobody"), "source must be 'lecture' or one of"),
    (lambda d: d["facts"][1].update(source="tran2015"), "with a 'where'"),
    (lambda d: d["facts"][0].pop("heading"), "both chapter and heading"),
    (lambda d: d["facts"][0].update(typo=1), "expected the fields"),
    (lambda d: d["facts"][0].pop("claim"), "expected the fields"),
    (lambda d: d["facts"][0].update(lecture_section=11), "lecture_section must be one of"),
])
def test_bad_data_is_refused_with_the_fact_named(change, match):
    data = json.loads(json.dumps(RAW))
    data["facts"][1].pop("where")
    change(data)
    with pytest.raises(ValueError, match=match):
        facts.parse(data)


def _headings(chapter: str) -> set[str]:
    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    return {line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if re.match(r"#{1,3} ", line)}


def test_book_sections_exist_and_links_use_sphinx_ids():
    shown = [f for f in facts.all() if f.chapter is not None]
    assert shown
    for fact in shown:
        assert fact.heading in _headings(fact.chapter), f"{fact.id}: no heading {fact.heading!r}"
        assert fact.href == f"{fact.chapter}.html#{make_id(fact.heading)}"
    assert facts.get("raw.clip.size").href == "ch01_video_tensors.html#raw-video-is-huge"
    assert facts.get("sports1m.videos").href is None


def test_a_wheel_ships_the_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "facts.json" in pyproject["tool"]["setuptools"]["package-data"]["lectures_lib.book"]
