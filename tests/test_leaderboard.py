"""The leaderboard (lectures_lib.book.leaderboard, lectures_lib.book.zoo): the stored results are up
to date with the code, their costs are what the models cost, and one re-trained model lands where
its stored result says."""

import dataclasses

import pytest
import torch

from lectures_lib import training
from lectures_lib.book import leaderboard, zoo
from lectures_lib.costs import calculators

STORED = leaderboard.load()
RERUN = "3D CNN"
RETRAIN = "early fusion"      # the quickest model to re-train (2-4 s on a 2-core CPU); chapter 2
                              # re-trains the others under nbval
COLUMNS = {"chapter", "fingerprint", "motion", "biased", "params", "macs", "train_seconds",
           "clips_per_s"}


def test_every_model_of_the_zoo_has_an_up_to_date_result():
    stale = leaderboard.stale(STORED)
    assert not stale, (f"the stored leaderboard is stale for {stale}: a model, the recipe or the "
                       "data changed. Re-run: python -m lectures_lib.book.leaderboard --only "
                       + " ".join(f'"{name}"' for name in stale))
    assert list(STORED["results"]) == [e.name for e in zoo.ENTRIES]
    assert list(STORED["sweep"]) == [e.name for e in zoo.SWEEP]
    for section, columns in (("results", COLUMNS), ("sweep", COLUMNS - {"biased"})):
        for name, row in STORED[section].items():
            assert set(row) == columns, name
            assert all(0 <= row[b] <= 1 for b in ("motion", "biased") if b in columns), name
            assert row["train_seconds"] > 0 and row["clips_per_s"] > 0, name


CLIP_MODELS = [(section, e) for section, entries in leaderboard.SECTIONS.items()
               for e in entries if e.inputs == "clip"]


@pytest.mark.parametrize("section, e", CLIP_MODELS, ids=[e.name for _, e in CLIP_MODELS])
def test_stored_costs_are_the_models_costs(section, e):
    row, model = STORED[section][e.name], e.build()
    assert row["params"] == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert row["macs"] == calculators.count_macs(model, (1, *zoo.CLIP))
    assert row["chapter"] == e.chapter


def test_a_changed_model_recipe_or_dataset_changes_the_fingerprint():
    e = zoo.entry(RERUN)
    base = leaderboard.fingerprint(e)
    assert leaderboard.fingerprint(e) == base                       # deterministic
    wider = dataclasses.replace(e, build=zoo.seeded(lambda: zoo.fusion.CNN3D(8, width=8)))
    assert leaderboard.fingerprint(wider) != base
    assert leaderboard.fingerprint(e, training.BOOK_RECIPE.replace(epochs=6)) != base
    same = dataclasses.replace(e, build=zoo.seeded(lambda: zoo.fusion.CNN3D(8)))
    assert leaderboard.fingerprint(same) == base                    # the same layers and weights

    def other_seed():
        torch.manual_seed(1)
        return zoo.fusion.CNN3D(8)

    assert leaderboard.fingerprint(dataclasses.replace(e, build=other_seed)) != base
    assert leaderboard.stale({"results": {}}) == [x.name for x in zoo.ENTRIES + zoo.SWEEP]


@pytest.mark.slow
def test_retraining_one_model_reproduces_its_stored_accuracy():
    e = zoo.entry(RETRAIN)
    accuracy = leaderboard.run((e,), benches=("motion",), verbose=False)[RETRAIN]["motion"]
    stored = STORED["results"][RETRAIN]["motion"]
    # Thread counts and library versions move a trained accuracy by a point or two, not more.
    assert abs(accuracy - stored) < 0.05, (accuracy, stored)


def test_unknown_names_and_devices_are_refused(tmp_path):
    with pytest.raises(KeyError, match="no model 'VGG' in the zoo"):
        zoo.entry("VGG")
    with pytest.raises(ValueError):
        leaderboard.main(["--device", "tpu", "--out", str(tmp_path / "x.json")])


@pytest.mark.parametrize("call, error, match", [
    (lambda: leaderboard.run((zoo.entry("3D CNN"),), device="gpu"), ValueError, "device.*'gpu'"),
    (lambda: leaderboard.run(()), ValueError, r"entries.*got \(\)"),
    (lambda: leaderboard.run(("3D CNN",)), ValueError, "entries.*'3D CNN'"),
    (lambda: leaderboard.run((zoo.entry("3D CNN"),), benches="motion"), ValueError,
     "benches.*'motion'"),
    (lambda: leaderboard.fingerprint("3D CNN"), TypeError, "zoo.Entry.*got str"),
])
def test_run_and_fingerprint_name_what_they_got(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_write_refuses_results_it_would_drop(tmp_path):
    out = tmp_path / "board.json"
    with pytest.raises(ValueError, match=r"results.*got \['VGG'\]"):
        leaderboard.write({"VGG": {"motion": 0.5}}, out)
    with pytest.raises(ValueError, match=r"results.*got \[0.5\]"):
        leaderboard.write([0.5], out)
    assert not out.exists()
