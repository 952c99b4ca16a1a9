"""Point every link of the book at the repository ``_config.yml`` names: run it after a fork.

    python tests/set_repository.py                     # follow _config.yml's repository.url/branch
    python tests/set_repository.py --check             # only say what disagrees (exit 1 if any)

The repository is named in one place, ``repository.url`` and ``repository.branch`` in
``_config.yml``; Jupyter Book builds the Colab and repository buttons from it. Three other places
must carry the same name, and this rewrites them: every chapter's setup cell (``%pip install
git+<url>@<branch>``, what Colab installs), the README (Colab, Pages and ``pip`` addresses) and the
comment at the top of the Pages workflow. A setup cell prints nothing, so its stored outputs stay
valid. ``tests/test_book.py`` fails while any of them disagrees.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml
from booktoc import ROOT, toc_notebooks

GITHUB = re.compile(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def parse_url(url: str) -> tuple[str, str]:
    """``(owner, name)`` of a GitHub repository's address; any other address fails."""
    match = GITHUB.match(url)
    if not match:
        raise ValueError(f"_config.yml's repository.url must be https://github.com/OWNER/NAME, "
                         f"got {url!r}")
    return match[1], match[2]


def repository() -> tuple[str, str, str]:
    """``(owner, name, branch)`` from ``_config.yml``."""
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return (*parse_url(repo["url"]), repo["branch"])


def expected_text(text: str, owner: str, name: str, branch: str) -> str:
    """``text`` (of the README, the workflow or a setup cell) with every book address pointed at
    ``owner/name`` and ``branch``."""
    text = re.sub(r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[\w.-]+/",
                  f"https://colab.research.google.com/github/{owner}/{name}/blob/{branch}/", text)
    text = re.sub(r"https://[\w-]+\.github\.io/[\w.-]+/", f"https://{owner}.github.io/{name}/",
                  text)
    text = re.sub(r"git\+https://github\.com/[\w.-]+/[\w.-]+@[\w./-]+\"",
                  f'git+https://github.com/{owner}/{name}@{branch}"', text)
    return text


def places() -> list[Path]:
    return [ROOT / "README.md", ROOT / ".github" / "workflows" / "publish.yml",
            *toc_notebooks()]


def _text(path: Path) -> str:
    """What carries addresses: a notebook's setup cell, or the whole file."""
    if path.suffix == ".ipynb":
        return next(c for c in nbformat.read(path, as_version=4).cells
                    if c.cell_type == "code").source
    return path.read_text()


def disagreements() -> list[str]:
    """The files whose addresses do not follow ``_config.yml``."""
    owner, name, branch = repository()
    return [str(p.relative_to(ROOT)) for p in places()
            if expected_text(_text(p), owner, name, branch) != _text(p)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list what disagrees")
    args = parser.parse_args(argv)
    wrong = disagreements()
    if args.check or not wrong:
        print("\n".join(wrong) or "every address follows _config.yml")
        return 1 if wrong else 0
    owner, name, branch = repository()
    for path in (ROOT / p for p in wrong):
        if path.suffix == ".ipynb":                 # through nbformat: the cell, not the JSON
            nb = nbformat.read(path, as_version=4)
            setup = next(c for c in nb.cells if c.cell_type == "code")
            setup.source = expected_text(setup.source, owner, name, branch)
            nbformat.write(nb, path)
        else:
            path.write_text(expected_text(path.read_text(), owner, name, branch))
    print(f"pointed {len(wrong)} files at {owner}/{name}@{branch}: {', '.join(wrong)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
