"""The library's shape and docstrings: packages on floors with no upward import, every folder a
package a wheel ships, model classes that say their shapes and sources, and Args: that match
signatures."""

import ast
import importlib
import inspect
import pkgutil
import re

import pytest
import tomllib
from booktoc import ROOT
from torch import nn

import lectures_lib

# Every module, in every subpackage (a flat walk would check only the top folder).
MODULES = [importlib.import_module(m.name)
           for m in pkgutil.walk_packages(lectures_lib.__path__, "lectures_lib.")]
LIB = ROOT / "lectures_lib"
# The architecture: a package imports only from packages on lower floors (and from itself).
FLOORS = {"core": 1, "data": 2, "costs": 2, "models": 3, "flow": 3, "training": 3, "viz": 4,
          "book": 4, "train": 5}
PUBLIC = [(f"{mod.__name__}.{name}", obj) for mod in MODULES for name, obj in vars(mod).items()
          if not name.startswith("_") and getattr(obj, "__module__", None) == mod.__name__
          and (inspect.isfunction(obj) or inspect.isclass(obj))]
MODELS = [(name, obj) for name, obj in PUBLIC
          if inspect.isclass(obj) and issubclass(obj, nn.Module)]
# Building blocks are layers, not models from a paper: they need a Shape: section only.
BLOCKS = "lectures_lib.core.blocks."


def test_every_module_and_package_has_a_docstring():
    assert len(MODULES) > 50
    for mod in MODULES:
        assert mod.__doc__ and len(mod.__doc__.strip()) > 40, mod.__name__


def _library_imports(path):
    """The library packages (first name under lectures_lib, or "" for the root) that a module
    imports, resolving relative imports against its own package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)    # lectures_lib, pkg, ..., mod
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
                names = [target + [a.name] for a in node.names] if not node.module else [target]
            else:
                names = [(node.module or "").split(".")]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".") for a in node.names]
        else:
            continue
        for name in names:
            if name[0] == "lectures_lib":
                top = name[1] if len(name) > 1 else ""
                is_part = (LIB / top).is_dir() or (LIB / f"{top}.py").is_file()
                found.add(top if is_part else "")                  # else: the root's __version__
    return found


def _floor_of(path):
    rel = path.relative_to(LIB).with_suffix("").parts
    return rel[0] if len(rel) > 1 else rel[0]


def test_packages_stand_on_floors_with_no_upward_import():
    """core is floor 1; nothing imports a package on its own floor or above, except itself (so
    there are no cycles between packages); the root package imports only core."""
    upward = []
    for path in sorted(LIB.rglob("*.py")):
        here = _floor_of(path)
        imports = _library_imports(path) - {here, ""}
        if here == "__init__":
            upward += [f"lectures_lib/__init__.py imports {p}" for p in imports if p != "core"]
            continue
        assert here in FLOORS, f"{path}: not on a floor; add its package to FLOORS"
        for package in imports:
            if package not in FLOORS or FLOORS[package] >= FLOORS[here]:
                upward.append(f"{path.relative_to(ROOT)} ({here}, floor {FLOORS[here]}) imports "
                              f"{package} (floor {FLOORS.get(package)})")
    assert not upward, "\n".join(upward)
    assert max(FLOORS.values()) <= 5


def test_every_folder_is_a_package_the_wheel_ships_with_its_data():
    """pyproject's package list finds every subpackage (a folder without __init__.py would be left
    out of the wheel and of Colab's install), and the data files are where it says."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["packages"]["find"]["include"] == ["lectures_lib*"]
    folders = {p.parent for p in LIB.rglob("*.py")}
    assert all((folder / "__init__.py").is_file() for folder in folders), folders
    for package, files in config["package-data"].items():
        for name in files:
            assert (ROOT / package.replace(".", "/") / name).is_file(), (package, name)


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


# nn.Conv3d's own signature plus the one argument inflation adds: the one allowed exception.
WIDE_SIGNATURES = {"lectures_lib.models.inflate.InflatedConv3d": "mirrors nn.Conv3d"}


def test_public_functions_take_at_most_eight_parameters():
    """More than eight parameters ask for a small option dataclass (``training.RunOptions``)."""
    wide = []
    for name, obj in PUBLIC:
        if inspect.isclass(obj) and hasattr(obj, "__dataclass_fields__"):
            continue                                          # an option dataclass itself
        target = obj.__init__ if inspect.isclass(obj) else obj
        try:
            params = [n for n in inspect.signature(target).parameters if n not in ("self", "cls")]
        except (TypeError, ValueError):
            continue
        if len(params) > 8 and name not in WIDE_SIGNATURES:
            wide.append(f"{name}: {len(params)} parameters")
    assert not wide, wide
    public = dict(PUBLIC)
    narrow = [name for name in WIDE_SIGNATURES if name not in public or len(
        inspect.signature(public[name].__init__).parameters) - 1 <= 8]
    assert not narrow, f"exceptions no longer needed: {narrow}"     # none of them went stale


def test_tests_use_the_librarys_public_names():
    """A test of a private name breaks on every refactoring; test what a reader can call."""
    private = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lectures_lib"):
                for alias in node.names:
                    modules.add(alias.asname or alias.name)
                    if alias.name.startswith("_"):
                        private.append(f"{path.name}:{node.lineno} imports {alias.name}")
            elif isinstance(node, ast.Import):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names
                            if a.name.startswith("lectures_lib")}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules and node.attr.startswith("_")
                    and not node.attr.endswith("__")):
                private.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not private, private
