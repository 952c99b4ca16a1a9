"""Structural tests of the book: TOC, setup cells, portability, stored outputs, environment."""

import base64
import json
import re

import nbformat
import pytest
import tomllib
import yaml
from booktoc import ROOT, toc_documents, toc_notebooks

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
NOTEBOOKS = toc_notebooks()
IDS = [p.name for p in NOTEBOOKS]


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_toc_and_book_folder_agree():
    on_disk = {p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    assert on_disk == set(NOTEBOOKS)
    pages = {p for p in (ROOT / "book").rglob("*.md")}
    assert pages <= set(toc_documents())


def test_config_executes_nothing_and_builds_only_the_toc():
    assert CONFIG["execute"]["execute_notebooks"] == "off"
    assert CONFIG["only_build_toc_files"] is True
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert CONFIG["repository"]["path_to_book"] == ""


def test_every_address_follows_the_repository_in_config():
    """_config.yml names the repository once; the setup cells, README and workflow follow it."""
    import set_repository

    assert set_repository.disagreements() == [], "run python tests/set_repository.py"
    assert set_repository.parse_url("https://github.com/o/n.git") == ("o", "n")
    with pytest.raises(ValueError, match="repository.url.*gitlab"):
        set_repository.parse_url("https://gitlab.com/a/b")
    moved = set_repository.expected_text(
        'see https://colab.research.google.com/github/a/b/blob/main/book/x.ipynb, '
        'https://a.github.io/b/ and "git+https://github.com/a/b@main"', "o", "n", "dev")
    assert moved == ('see https://colab.research.google.com/github/o/n/blob/dev/book/x.ipynb, '
                     'https://o.github.io/n/ and "git+https://github.com/o/n@dev"')


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_cell_is_the_setup_cell(path):
    repo = CONFIG["repository"]
    install = f'    %pip install -q "git+{repo["url"]}@{repo["branch"]}"'
    first = code_cells(path)[0].source.splitlines()
    assert first[:5] == [
        "# Setup: in Colab, install the book's helper library; everywhere else it is already installed.",  # noqa: E501
        "import sys",
        'IN_COLAB = "google.colab" in sys.modules',
        "if IN_COLAB:",
        install,
    ]
    later = "\n".join(c.source for c in code_cells(path)[1:])
    assert "%pip" not in later, "pip only in the setup cell"
    assert code_cells(path)[0].outputs == [], "the setup cell prints nothing"


DOWNLOADS = re.compile(r"urlretrieve|urlopen|requests\.|wget|curl |torch\.hub|download=True|"
                       r"load_state_dict_from_url|from_pretrained|https?://")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_downloads_or_machine_paths(path):
    for cell in code_cells(path)[1:]:
        assert not DOWNLOADS.search(cell.source), f"a download in:\n{cell.source}"
    # Everything a reader sees, less embedded images: base64 can spell "/tmp/" by chance.
    nb = nbformat.read(path, as_version=4)
    parts = [c.source for c in nb.cells]
    for cell in code_cells(path):
        for out in cell.outputs:
            parts.append(out.get("text", ""))
            parts += [v for k, v in out.get("data", {}).items() if not k.startswith("image/")]
    text = re.sub(r"data:image/\w+;base64,[A-Za-z0-9+/=\\\s]+", "IMAGE", "\n".join(map(str, parts)))
    assert not re.search(r"/(root|home|tmp|work|Users)/", text), "a machine path is stored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_outputs_come_from_one_clean_run(path):
    cells = code_cells(path)
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), "re-run: python tests/execute_notebooks.py"
    for cell in cells:
        assert all(o.output_type != "error" for o in cell.outputs)
    assert nbformat.read(path, as_version=4).metadata.kernelspec.name == "python3"
    assert path.stat().st_size < 3e6, "keep a notebook under 3 MB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_chapter_follows_the_template(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "*Lecture 18, section" in nb.cells[0].source
    if path.name.startswith("appendix_"):                          # no exercises, nothing to cite
        return
    for heading in ("## Summary", "## Exercises", "## References"):
        assert heading in markdown, f"missing {heading}"
    assert "hide-cell" in json.dumps([c.metadata.get("tags", []) for c in nb.cells]) or \
        ":class: dropdown" in markdown, "exercise solutions hide behind a toggle"


FONT_SIZE = re.compile(r"fontsize\s*=\s*(\d+(?:\.\d+)?)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_figures_fit_a_phone(path):
    """Every stored figure is at most the page's width (6 inches at 100 dpi, with a little room
    for the tight bounding box); no chapter sets text below 13 pt or restyles the book."""
    for number, cell in enumerate(code_cells(path), 1):
        assert "rcParams" not in cell.source, f"cell {number}: the style is plotting.book_style()"
        small = [float(v) for v in FONT_SIZE.findall(cell.source) if float(v) < 13]
        assert not small, f"cell {number}: text of {small} pt is too small on a phone"
        for output in cell.outputs:
            png = output.get("data", {}).get("image/png")
            if png:
                width = int.from_bytes(base64.b64decode(png)[16:20], "big")
                assert width <= 620, f"cell {number}: a figure {width} px wide (at most 620)"


def test_library_sets_no_text_smaller_than_13_pt():
    for path in (ROOT / "lectures_lib").rglob("*.py"):
        small = [float(v) for v in FONT_SIZE.findall(path.read_text()) if float(v) < 13]
        assert not small, f"{path.name}: text of {small} pt is too small on a phone"


def test_every_widget_has_a_static_twin_on_the_website():
    for path in NOTEBOOKS:
        for cell in code_cells(path):
            if any("widget-view+json" in o.get("data", {}) for o in cell.outputs):
                assert "remove-output" in cell.metadata.get("tags", []), cell.source


def test_requirements_pin_the_environment():
    text = (ROOT / "requirements.txt").read_text()
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    pins = dict(line.split("==") for line in lines if "==" in line)
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1.")
    for name in ("nbval", "pytest", "ipykernel", "ipywidgets", "matplotlib",
                 "opencv-python-headless", "ruff"):
        assert name in pins
    assert "-e ." in lines


def test_library_declares_only_loose_lower_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    for dep in project["dependencies"] + [d for deps in extras.values() for d in deps]:
        assert "==" not in dep and "<" not in dep and "~=" not in dep, dep
    # Four wheels provide cv2 and Colab has three: a hard OpenCV dependency would install a second
    # one beside the reader's. It is an extra, and the library names it when cv2 is missing.
    names = [re.split(r"[\s\[<>=!~;]", dep, maxsplit=1)[0].lower()
             for dep in project["dependencies"]]
    assert not [n for n in names if n.startswith("opencv")], names
    assert any(d.startswith("opencv-python-headless") for d in extras["opencv"])
    assert project["requires-python"] == ">=3.10"


# Settings a chapter shares with the leaderboard (and the train command) come from the library, so
# that a model's number in chapter 11 is the chapter's number: the chapter must use these names.
SHARED_SETTINGS = {
    "ch02_fusion": ["fusion.chapter2_models(", "training.BOOK_RECIPE", "data.standard_splits("],
    "ch04_c3d": ['zoo.entry("C3D (small)").build'],
    "ch05_optical_flow": ["flow_methods.by_short_name()", "flow_show.flow_panels("],
    "ch06_two_stream": ["zoo.FLOW_FRAMES", "zoo.LUCAS_KANADE", "zoo.FLOW_BOUND",
                        "ts.average_fusion("],
    "ch09_i3d": ['zoo.PRETRAINING["images"]', 'zoo.PRETRAINING["task"]',
                 'zoo.PRETRAINING["recipe"]', "zoo.I3D_TIME", "zoo.image_network("],
    "ch10_slowfast": ["sf.slowfast_tiny(width=8", "zoo.SWEEP_ALPHAS", "zoo.SWEEP_BETAS",
                      "zoo.CLIP"],
}


@pytest.mark.parametrize("chapter", SHARED_SETTINGS)
def test_chapters_use_the_librarys_settings_not_copies(chapter):
    source = "\n".join(c.source for c in code_cells(ROOT / "book" / f"{chapter}.ipynb"))
    missing = [name for name in SHARED_SETTINGS[chapter] if name not in source]
    assert not missing, f"{chapter} does not use {missing}: a copy of a setting drifts"
    assert "slice(3, 14)" not in source and "8192," not in source
    assert "color_wheel(" not in source, "flows are compared with flow_show.flow_panels"
