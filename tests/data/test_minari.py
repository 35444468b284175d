from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import h5py
import minari
import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mimetic
from mimetic.data import Dataset, DatasetError, DatasetMetadata, Trajectory
from mimetic.data.formats.minari import PLACEHOLDER_ATTR, dataset_id_for_path
from mimetic.data.io import detect_format
from mimetic.data.spaces import spaces_equal
from mimetic.data.tree import tree_equal

FIXTURES = Path(__file__).parent / "fixtures" / "minari"
CARTPOLE = FIXTURES / "mimetic-fixtures" / "cartpole-random-v0"
GOALDOT = FIXTURES / "mimetic-fixtures" / "goaldot-random-v0"


@pytest.fixture
def minari_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "minari-datasets"
    root.mkdir()
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    return root


def odd_dataset() -> Dataset:
    """Everything Minari has no field for: nested dict obs, odd dtypes, mixed rewards, 0-step episode."""
    rng = np.random.default_rng(7)

    def obs(rows: int) -> dict[str, Any]:
        return {
            "pixels": rng.integers(0, 256, (rows, 32, 32), dtype=np.uint8),  # an "image space" shape
            "state": {
                "half": rng.standard_normal((rows, 2)).astype(np.float16),
                "flag": rng.random(rows) < 0.5,
            },
            "big_endian": rng.standard_normal((rows, 3)).astype(">f4"),
        }

    episodes = [
        Trajectory(
            obs=obs(5),
            acts=rng.integers(-3, 3, (4, 2)).astype(np.int8),
            rews=None,
            terminated=True,
            infos={"cell": {"row": np.arange(5, dtype=np.uint16), "col": np.arange(5, dtype=np.int32)}},
            extras={"label": np.array([b"a", b"bb", b"c", b"dd"])},
        ),
        Trajectory(
            obs=obs(3),
            acts=rng.integers(-3, 3, (2, 2)).astype(np.int8),
            rews=np.array([0.5, np.nan], dtype=np.float32),
            truncated=True,
            infos={"cell": {"row": np.arange(3, dtype=np.uint16), "col": np.arange(3, dtype=np.int32)}},
            extras={"label": np.array([b"x", b"y"])},
        ),
        Trajectory(  # a zero-step episode: just the reset observation
            obs=obs(1),
            acts=np.zeros((0, 2), dtype=np.int8),
            infos={"cell": {"row": np.zeros(1, dtype=np.uint16), "col": np.zeros(1, dtype=np.int32)}},
            extras={"label": np.zeros(0, dtype="S2")},
        ),
    ]
    return Dataset(episodes, DatasetMetadata(license="CC-BY-4.0", masks={"odd": [1]}))


# ------------------------------------------------------------------------------------- round trip


def test_round_trip_is_bitwise(tmp_path: Path, array_dataset: Dataset, dict_dataset: Dataset) -> None:
    for name, ds in (("arrays-v0", array_dataset), ("dicts-v0", dict_dataset), ("odd-v3", odd_dataset())):
        path = mimetic.save(ds, tmp_path / "ns" / name)  # no suffix: Minari is the default format
        assert (path / "data" / "main_data.hdf5").is_file()
        back = mimetic.load(path)
        assert back.equals(ds), name
        assert back.path == path
        assert back.metadata.dataset_id == ds.metadata.dataset_id  # None stays None


def test_round_trip_keeps_every_metadata_field(tmp_path: Path, array_dataset: Dataset) -> None:
    meta = array_dataset.metadata
    back = mimetic.load(mimetic.save(array_dataset, tmp_path / "test" / "cartpole-v0")).metadata
    assert spaces_equal(back.observation_space, meta.observation_space)
    assert spaces_equal(back.action_space, meta.action_space)
    assert (back.env_id, back.env_spec, back.dataset_id) == (meta.env_id, meta.env_spec, meta.dataset_id)
    assert (back.source, back.license, back.extra) == (meta.source, meta.license, meta.extra)
    assert {k: list(v) for k, v in back.masks.items()} == {"train": [0, 1], "valid": [2]}


def test_rewards_none_is_stored_as_marked_zeros(tmp_path: Path, dict_dataset: Dataset) -> None:
    path = mimetic.save(dict_dataset, tmp_path / "d-v0")
    with h5py.File(path / "data" / "main_data.hdf5") as f:
        rewards = f["episode_0/rewards"]
        assert rewards.attrs[PLACEHOLDER_ATTR]
        np.testing.assert_array_equal(rewards[()], np.zeros(4))
        assert f["episode_0/extras/mode"].shape == (4,)
        assert list(f["episode_0/observations"]) == ["observation", "desired_goal"]  # insertion order kept
    assert all(t.rews is None for t in mimetic.load(path))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lengths=st.lists(st.integers(0, 6), min_size=1, max_size=3),
    dtype=st.sampled_from(["float32", "float64", "int16", "uint8", "bool"]),
    dict_obs=st.booleans(),
    with_rewards=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_round_trip_property(
    tmp_path: Path, lengths: list[int], dtype: str, dict_obs: bool, with_rewards: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    episodes = []
    for i, steps in enumerate(lengths):
        state = (rng.standard_normal((steps + 1, 3)) * 10).astype(dtype)
        episodes.append(
            Trajectory(
                obs={"state": state, "goal": rng.standard_normal((steps + 1, 1))} if dict_obs else state,
                acts=rng.standard_normal((steps, 2)).astype(np.float32),
                rews=rng.standard_normal(steps) if with_rewards else None,
                terminated=bool(steps) and i % 2 == 0,
                truncated=bool(steps) and i % 2 == 1,
                extras={"step": np.arange(steps)},
            )
        )
    ds = Dataset(episodes)
    path = tmp_path / f"prop-{seed}-{len(lengths)}-{dtype}-{dict_obs}-{with_rewards}-v0"
    shutil.rmtree(path, ignore_errors=True)
    assert mimetic.load(mimetic.save(ds, path)).equals(ds)


# ------------------------------------------------------------------------------ minari reads ours


def test_minari_loads_what_we_write(minari_root: Path, array_dataset: Dataset) -> None:
    mimetic.save(array_dataset, minari_root / "test" / "cartpole-v0")  # where its dataset_id points
    theirs = minari.load_dataset("test/cartpole-v0")
    assert theirs.total_episodes == 3 and theirs.total_steps == array_dataset.num_steps
    assert theirs.spec.dataset_id == "test/cartpole-v0"
    assert theirs.recover_environment().spec.id == "CartPole-v1"
    for ep, traj in zip(theirs.iterate_episodes(), array_dataset, strict=True):
        assert tree_equal(ep.observations, traj.obs)
        assert tree_equal(ep.actions, traj.acts)
        assert tree_equal(ep.rewards, traj.rews)
        assert tree_equal(ep.infos, dict(traj.infos))
        assert ep.terminations[-1] == traj.terminated and ep.truncations[-1] == traj.truncated
        assert not ep.terminations[:-1].any() and not ep.truncations[:-1].any()


def test_minari_loads_dict_obs_and_inferred_spaces(minari_root: Path, dict_dataset: Dataset) -> None:
    no_spaces = Dataset(dict_dataset.episodes, DatasetMetadata())
    for ds, name in ((dict_dataset, "dicts-v0"), (no_spaces, "nospace-v1"), (odd_dataset(), "odd-v0")):
        path = mimetic.save(ds, minari_root / "mimetic" / name)
        theirs = minari.MinariDataset(path / "data")
        assert theirs.spec.dataset_id == f"mimetic/{name}"  # derived from the path
        assert minari.load_dataset(f"mimetic/{name}").total_episodes == len(ds)
        for ep, traj in zip(theirs.iterate_episodes(), ds, strict=True):
            assert tree_equal(ep.observations, traj.obs)
            assert tree_equal(ep.actions, traj.acts)
            expected = np.zeros(len(traj)) if traj.rews is None else traj.rews
            assert tree_equal(ep.rewards, expected)
        assert mimetic.load(path).equals(ds)  # the derived id is Minari's only; ours stays None


def test_dataset_id_from_the_final_path(tmp_path: Path, minari_root: Path) -> None:
    assert dataset_id_for_path(minari_root / "a" / "b" / ".door-human-v2.tmp-0123abcd") == "a/b/door-human-v2"
    assert dataset_id_for_path(minari_root / "solo-v1") == "solo-v1"
    assert dataset_id_for_path(tmp_path / "elsewhere" / ".demos-v0.tmp-ffffffff") == "elsewhere/demos-v0"
    assert dataset_id_for_path(tmp_path / "x" / "demos-v0") == "demos-v0"  # "x" is too short a namespace
    assert dataset_id_for_path(tmp_path / "elsewhere" / "my demos") == "my_demos-v0"


# ------------------------------------------------------------------------ we read minari's own


@pytest.mark.parametrize("fixture", [CARTPOLE, GOALDOT], ids=["cartpole", "goaldot-dict-jpeg"])
def test_datacollector_dataset_matches_minari(fixture: Path) -> None:
    ours = mimetic.load(fixture)
    theirs = minari.MinariDataset(fixture / "data")
    assert len(ours) == theirs.total_episodes == 3
    assert ours.num_steps == theirs.total_steps
    for ep, traj in zip(theirs.iterate_episodes(), ours, strict=True):
        assert tree_equal(traj.obs, ep.observations)  # GoalDot's images: JPEG-decoded exactly as Minari does
        assert tree_equal(traj.acts, ep.actions)
        assert tree_equal(traj.rews, ep.rewards)
        assert tree_equal(dict(traj.infos), ep.infos or {})
        assert (traj.terminated, traj.truncated) == (bool(ep.terminations[-1]), bool(ep.truncations[-1]))
    meta = ours.metadata
    assert meta.dataset_id == theirs.spec.dataset_id
    assert meta.env_id == theirs.env_spec.id
    assert spaces_equal(meta.observation_space, theirs.observation_space)
    assert spaces_equal(meta.action_space, theirs.action_space)
    assert meta.extra["minari"]["author"] == ["mimetic developers"]
    assert meta.extra["minari"]["algorithm_name"] == "random"


def test_fixture_shapes_are_what_the_recorder_made() -> None:
    cartpole, goaldot = mimetic.load(CARTPOLE), mimetic.load(GOALDOT)
    assert [t.terminated for t in cartpole] == [True] * 3  # random CartPole falls over
    assert [t.truncated for t in goaldot] == [True] * 3  # GoalDot's 6-step time limit
    assert goaldot[0].obs["image"].shape == (7, 32, 32) and goaldot[0].obs["image"].dtype == np.uint8
    assert goaldot[0].infos["success"].dtype == np.bool_ and goaldot[0].infos["distance"].shape == (7,)
    assert cartpole[0].acts.dtype == np.int64 and cartpole[0].infos == {}
    assert isinstance(cartpole.metadata.action_space, spaces.Discrete)
    spec = json.loads(goaldot.metadata.env_spec or "{}")  # GoalDot lives in the recorder script
    assert spec["id"] == goaldot.metadata.env_id == "GoalDot-v0" and spec["max_episode_steps"] == 6


def test_load_by_dataset_id(minari_root: Path) -> None:
    shutil.copytree(FIXTURES / "mimetic-fixtures", minari_root / "mimetic-fixtures")
    ds = mimetic.load("mimetic-fixtures/cartpole-random-v0")
    assert ds.equals(mimetic.load(CARTPOLE))


def test_minari_dataset_converts_back_to_minari(minari_root: Path) -> None:
    ours = mimetic.load(GOALDOT)
    path = mimetic.save(ours, minari_root / "copies" / "goaldot-v0")
    assert mimetic.load(path).equals(ours)  # images now stored raw, so no second JPEG loss
    raw = json.loads((path / "data" / "metadata.json").read_text())
    assert raw["dataset_id"] == "mimetic-fixtures/goaldot-random-v0"  # carried, not re-derived
    assert raw["author"] == ["mimetic developers"] and raw["jpeg_encoding"] is False
    theirs = minari.MinariDataset(path / "data")
    assert tree_equal(theirs[0].observations, ours[0].obs)


@pytest.mark.parametrize("where", ["dataset dir", "data dir", "hdf5 file"])
def test_detect_and_read_from_any_entry_point(where: str) -> None:
    path = {
        "dataset dir": CARTPOLE,
        "data dir": CARTPOLE / "data",
        "hdf5 file": CARTPOLE / "data" / "main_data.hdf5",
    }
    assert detect_format(path[where]).name == "minari"
    assert mimetic.load(path[where]).equals(mimetic.load(CARTPOLE))


# --------------------------------------------------------------------------------------- errors


@pytest.fixture
def written(tmp_path: Path, array_dataset: Dataset) -> Path:
    return mimetic.save(array_dataset, tmp_path / "ns" / "bad-v0")


def edit_hdf5(path: Path, fn: Any) -> None:
    with h5py.File(path / "data" / "main_data.hdf5", "r+") as f:
        fn(f)


def test_truncated_hdf5_file(written: Path) -> None:
    main = written / "data" / "main_data.hdf5"
    main.write_bytes(main.read_bytes()[: main.stat().st_size // 2])
    with pytest.raises(DatasetError, match=r"bad-v0/data/main_data\.hdf5: cannot open HDF5 file"):
        mimetic.load(written)


def test_missing_actions(written: Path) -> None:
    edit_hdf5(written, lambda f: f.__delitem__("episode_1/actions"))
    with pytest.raises(DatasetError, match=r"main_data\.hdf5, episode 1, field 'actions': missing"):
        mimetic.load(written)


def test_missing_episode_group(written: Path) -> None:
    edit_hdf5(written, lambda f: f.__delitem__("episode_2"))
    with pytest.raises(DatasetError, match=r"main_data\.hdf5, episode 2, field 'episode_2': missing"):
        mimetic.load(written)


def test_length_mismatch_names_episode_and_field(written: Path) -> None:
    def drop_an_action(f: h5py.File) -> None:
        acts = f["episode_2/actions"][()]
        del f["episode_2/actions"]
        f["episode_2/actions"] = acts[:-1]

    edit_hdf5(written, drop_an_action)
    with pytest.raises(
        DatasetError, match=r"main_data\.hdf5, episode 2, field 'observations': .*one more step"
    ):
        mimetic.load(written)


def test_termination_mid_episode(written: Path) -> None:
    def flag_step_one(f: h5py.File) -> None:
        f["episode_0/terminations"][1] = True

    edit_hdf5(written, flag_step_one)
    with pytest.raises(
        DatasetError, match=r"main_data\.hdf5, episode 0, field 'terminations'.*found step 1 of 5 flagged"
    ):
        mimetic.load(written)


def test_flags_of_the_wrong_length(written: Path) -> None:
    def shorten(f: h5py.File) -> None:
        del f["episode_1/truncations"]
        f["episode_1/truncations"] = np.zeros(3, dtype=bool)

    edit_hdf5(written, shorten)
    with pytest.raises(DatasetError, match=r"episode 1, field 'truncations': one flag per action"):
        mimetic.load(written)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, r"data/metadata\.json: missing Minari metadata"),
        ("{not json", r"data/metadata\.json, field 'metadata': metadata is not valid JSON"),
        ("[1, 2]", r"data/metadata\.json, field 'metadata': metadata must be a JSON object"),
        ('{"total_episodes": "three"}', r"data/metadata\.json, field 'total_episodes': bad episode count"),
        ('{"total_episodes": 1, "data_format": "arrow"}', r"field 'data_format': only Minari's HDF5"),
        (
            '{"total_episodes": 1, "observation_space": "{\\"type\\": \\"Tuple\\"}"}',
            r"field 'observation_space'",
        ),
        ('{"total_episodes": 1, "mimetic": {"mimetic_format_version": 99}}', r"written by a newer mimetic"),
    ],
    ids=["missing", "not-json", "not-object", "bad-count", "arrow", "unsupported-space", "newer-version"],
)
def test_bad_metadata_json(written: Path, text: str | None, expected: str) -> None:
    meta = written / "data" / "metadata.json"
    if text is None:
        meta.unlink()
    else:
        meta.write_text(text)
    with pytest.raises(DatasetError, match=expected):
        mimetic.load(written)


def test_unstorable_data_is_refused_on_write(tmp_path: Path) -> None:
    text = Trajectory(obs=np.zeros((3, 1)), acts=np.zeros(2), extras={"note": np.array(["hi", "yo"])})
    with pytest.raises(DatasetError, match=r"episode 0, field 'extras/note': HDF5 cannot store"):
        mimetic.save(Dataset([text]), tmp_path / "text-v0")
    flagged_empty = Trajectory(obs=np.zeros((1, 1)), acts=np.zeros(0), terminated=True)
    with pytest.raises(DatasetError, match=r"episode 0, field 'terminations'"):
        mimetic.save(Dataset([flagged_empty]), tmp_path / "empty-v0")
    assert list(tmp_path.iterdir()) == []  # io.save removed the half-written temp folders


def test_not_a_minari_dataset(tmp_path: Path) -> None:
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(DatasetError, match="not a Minari dataset"):
        mimetic.load(tmp_path / "empty-dir", format="minari")
    (tmp_path / "empty-dir" / "metadata.json").write_text("{}")  # any folder may hold one of these
    with pytest.raises(DatasetError, match="cannot tell the dataset format"):
        detect_format(tmp_path / "empty-dir")
