"""The library's docstrings: model classes say their shapes and sources, and Args: match
signatures."""

import importlib
import inspect
import pkgutil
import re

import pytest
from booktoc import ROOT
from torch import nn

import lectures_lib

MODULES = [importlib.import_module(f"lectures_lib.{m.name}")
           for m in pkgutil.iter_modules(lectures_lib.__path__)]
PUBLIC = [(f"{mod.__name__}.{name}", obj) for mod in MODULES for name, obj in vars(mod).items()
          if not name.startswith("_") and getattr(obj, "__module__", None) == mod.__name__
          and (inspect.isfunction(obj) or inspect.isclass(obj))]
MODELS = [(name, obj) for name, obj in PUBLIC
          if inspect.isclass(obj) and issubclass(obj, nn.Module)]
# Building blocks are layers, not models from a paper: they need a Shape: section only.
BLOCKS = "lectures_lib.blocks."


def test_every_module_has_a_docstring_and_stays_readable():
    for mod in MODULES:
        assert mod.__doc__ and len(mod.__doc__.strip()) > 40, mod.__name__
        lines = len(inspect.getsource(mod).splitlines())
        assert lines <= 260, f"{mod.__name__} has {lines} lines: split it along its concepts"


@pytest.mark.parametrize("name, cls", MODELS, ids=[n for n, _ in MODELS])
def test_model_classes_have_shape_and_reference_sections(name, cls):
    doc = inspect.getdoc(cls) or ""
    assert "Shape:" in doc, f"{name}: no Shape: section"
    if not name.startswith(BLOCKS):
        assert "Reference:" in doc, f"{name}: no Reference: section"


def documented_args(doc: str) -> list[str]:
    """Names in a Google-style Args: section; ``a, b: ...`` documents both."""
    match = re.search(r"^Args:\n((?:    .*\n|\n)+)", doc + "\n", re.M)
    if not match:
        return []
    names = []
    for line in match.group(1).splitlines():
        head = re.match(r"^    (\w[\w, ]*):", line)
        if head:
            names += [n.strip() for n in head.group(1).split(",")]
    return names


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_args_sections_match_the_signature(name, obj):
    doc = inspect.getdoc(obj) or ""
    args = documented_args(doc)
    if not args:
        return
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = [n for n, p in inspect.signature(target).parameters.items()
              if n not in ("self", "cls") and p.kind is not p.VAR_KEYWORD]
    assert set(args) == set(params), f"{name}: Args {args} vs signature {params}"


def test_the_commit_hooks_and_the_pull_request_check_run_what_ci_runs():
    """The pre-commit hook lints with CI's ruff; pull requests run the linter and the fast tier."""
    import yaml

    hooks = [h for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
             for h in repo["hooks"]]
    assert any(h["entry"].startswith("ruff check") and h["language"] == "system" for h in hooks)
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pull-request.yml").read_text())
    steps = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert "ruff check ." in steps
    assert any(s.startswith('pytest -m "not slow" tests') for s in steps)
    assert "pip install -q -r requirements.txt" in steps
