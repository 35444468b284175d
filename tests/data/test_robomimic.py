"""The robomimic HDF5 format: bitwise round trips, plain robomimic files, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from gymnasium import spaces

import mimetic
from mimetic.data import Dataset, DatasetError, DatasetMetadata, Trajectory, detect_format


def _episode(rng: np.random.Generator, steps: int, *, rews: bool = True, **flags: bool) -> Trajectory:
    return Trajectory(
        obs={
            "robot0_eef_pos": rng.normal(size=(steps + 1, 3)).astype(np.float32),
            "goal": {"xy": rng.integers(-5, 5, size=(steps + 1, 2)).astype(np.int16)},
            "contact": rng.random(steps + 1) > 0.5,
        },
        acts=rng.normal(size=(steps, 2)),
        rews=rng.normal(size=steps).astype(np.float32) if rews else None,
        infos={"success": np.arange(steps + 1) == steps, "nested": {"d": rng.normal(size=(steps + 1, 2))}},
        extras={
            "states": rng.normal(size=(steps, 7)),
            "expert_action": rng.normal(size=(steps, 2)).astype(np.float16),
            "intervened": rng.random(steps) > 0.5,
        },
        **flags,
    )


def _dataset() -> Dataset:
    rng = np.random.default_rng(0)
    episodes = [
        _episode(rng, 5, terminated=True),
        _episode(rng, 3, rews=False, truncated=True),
        _episode(rng, 0),  # an empty episode: only the initial observation
        _episode(rng, 11, terminated=True),
    ]
    meta = DatasetMetadata(
        observation_space=spaces.Dict({"robot0_eef_pos": spaces.Box(-1.0, 1.0, (3,), np.float32)}),
        action_space=spaces.Box(-1.0, 1.0, (2,), np.float64),
        env_id="mimetic/Reach-v0",
        dataset_id="mimetic/reach-expert-v0",
        source="scripted:mimetic/Reach-v0",
        license="CC-BY-4.0",
        masks={"train": [0, 3, 2], "valid": [1]},
        extra={"note": "round trip", "n": 3},
    )
    return Dataset(episodes, meta)


def test_round_trip_is_bitwise(tmp_path: Path) -> None:
    ds = _dataset()
    path = mimetic.save(ds, tmp_path / "demo.hdf5", format="robomimic")
    assert detect_format(path).name == "robomimic"
    back = mimetic.load(path)
    assert back.equals(ds)
    assert back[1].rews is None and back[0].rews is not None
    assert back[0].extras["expert_action"].dtype == np.float16
    assert back.metadata.masks == {"train": [0, 3, 2], "valid": [1]}


def test_written_file_has_robomimic_layout(tmp_path: Path) -> None:
    ds = _dataset()
    path = mimetic.save(ds, tmp_path / "demo.hdf5")
    with h5py.File(path, "r") as f:
        data = f["data"]
        assert int(data.attrs["total"]) == ds.num_steps == 19
        env_args = json.loads(data.attrs["env_args"])
        assert (
            env_args["env_name"] == "mimetic/Reach-v0"
            and env_args["type"] == 2
            and env_args["env_kwargs"] == {}
        )
        demo = data["demo_0"]
        assert int(demo.attrs["num_samples"]) == 5
        obs = ds[0].obs["robot0_eef_pos"]
        np.testing.assert_array_equal(demo["obs/robot0_eef_pos"][()], obs[:5])
        np.testing.assert_array_equal(demo["next_obs/robot0_eef_pos"][()], obs[1:])
        np.testing.assert_array_equal(demo["obs/goal/xy"][()], ds[0].obs["goal"]["xy"][:5])
        np.testing.assert_array_equal(demo["dones"][()], [0, 0, 0, 0, 1])
        np.testing.assert_array_equal(data["demo_1/dones"][()], [0, 0, 0])  # truncated, not terminated
        np.testing.assert_array_equal(demo["states"][()], ds[0].extras["states"])
        np.testing.assert_array_equal(demo["actions"][()], ds[0].acts)
        assert list(f["mask/train"][()]) == [b"demo_0", b"demo_3", b"demo_2"]
        assert list(f["mask/valid"][()]) == [b"demo_1"]


def test_array_observations_use_the_flat_key(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    episodes = [
        Trajectory(
            obs=rng.normal(size=(t + 1, 4)), acts=rng.integers(0, 2, size=t), rews=np.ones(t), truncated=True
        )
        for t in (3, 1)
    ]
    ds = Dataset(episodes, DatasetMetadata(action_space=spaces.Discrete(2)))
    path = mimetic.save(ds, tmp_path / "cartpole.h5")
    with h5py.File(path, "r") as f:
        assert set(f["data/demo_0/obs"]) == {"flat"}
        assert json.loads(f["data"].attrs["env_args"])["env_name"] == ""
    assert mimetic.load(path).equals(ds)


def test_dict_observation_with_a_flat_key_stays_a_dict(tmp_path: Path) -> None:
    ds = Dataset([Trajectory(obs={"flat": np.zeros((3, 2))}, acts=np.zeros((2, 1)))])
    back = mimetic.load(mimetic.save(ds, tmp_path / "d.hdf5"))
    assert isinstance(back[0].obs, dict) and back.equals(ds)


# --------------------------------------------------------------------------- plain robomimic files


def _write_plain(path: Path, lengths: list[int], *, next_obs: bool = True, flat: bool = False) -> dict:
    """A file laid out the way robomimic's own scripts write it, with no mimetic keys."""
    rng = np.random.default_rng(2)
    demos = {}
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        data.attrs["total"] = sum(lengths)
        env_args = {"env_name": "Lift", "type": 1, "env_kwargs": {"control_freq": 20}}
        data.attrs["env_args"] = json.dumps(env_args)
        for i, steps in enumerate(lengths):
            g = data.create_group(f"demo_{i}")
            g.attrs["num_samples"] = steps
            g.attrs["model_file"] = "<mujoco/>"
            full = {
                "object": rng.normal(size=(steps + 1, 10)),
                "robot0_eef_quat": rng.normal(size=(steps + 1, 4)).astype(np.float32),
            }
            if flat:
                full = {"flat": rng.normal(size=(steps + 1, 6)).astype(np.float32)}
            for key, value in full.items():
                g.create_dataset(f"obs/{key}", data=value[:-1])
                if next_obs:
                    g.create_dataset(f"next_obs/{key}", data=value[1:])
            acts = rng.uniform(-1, 1, size=(steps, 7))
            rews = np.zeros(steps)
            rews[-1] = 1.0
            dones = np.zeros(steps, dtype=np.int64)
            dones[-1] = 1
            states = rng.normal(size=(steps, 32))
            g.create_dataset("actions", data=acts)
            g.create_dataset("rewards", data=rews)
            g.create_dataset("dones", data=dones)
            g.create_dataset("states", data=states)
            demos[i] = {"obs": full, "acts": acts, "rews": rews, "states": states}
        names = [f"demo_{i}" for i in range(len(lengths))]
        f.create_dataset("mask/train", data=np.array(names[:-2], dtype="S"))
        f.create_dataset("mask/valid", data=np.array(names[-2:], dtype="S"))
    return demos


def test_plain_robomimic_file_loads(tmp_path: Path) -> None:
    lengths = [4, 6, 3, 5, 2, 3, 4, 5, 6, 7, 8, 9]  # 12 demos: demo_10 must come after demo_9
    path = tmp_path / "lift_ph_low_dim.hdf5"
    demos = _write_plain(path, lengths)
    ds = mimetic.load(path)
    assert [len(t) for t in ds] == lengths
    for i, traj in enumerate(ds):
        want = demos[i]
        assert set(traj.obs) == {"object", "robot0_eef_quat"}
        for key, value in want["obs"].items():
            assert traj.obs[key].dtype == value.dtype
            np.testing.assert_array_equal(traj.obs[key], value)
        np.testing.assert_array_equal(traj.acts, want["acts"])
        np.testing.assert_array_equal(traj.rews, want["rews"])
        np.testing.assert_array_equal(traj.extras["states"], want["states"])
        assert traj.terminated and not traj.truncated
        assert "dones" not in traj.extras  # one flag at the end: exactly what `terminated` says
    assert ds.metadata.env_id == "Lift"
    assert ds.metadata.extra["robomimic_env_args"]["env_kwargs"] == {"control_freq": 20}
    assert ds.metadata.masks == {"train": list(range(10)), "valid": [10, 11]}
    assert ds.path == path


def test_plain_file_round_trips_through_mimetic(tmp_path: Path) -> None:
    path = tmp_path / "plain.hdf5"
    _write_plain(path, [3, 4])
    ds = mimetic.load(path)
    again = mimetic.load(mimetic.save(ds, tmp_path / "again.hdf5"))
    assert again.equals(ds)
    with h5py.File(tmp_path / "again.hdf5", "r") as f:
        env_args = json.loads(f["data"].attrs["env_args"])
    assert env_args == {"env_name": "Lift", "type": 1, "env_kwargs": {"control_freq": 20}}


def test_plain_flat_observation_is_an_array(tmp_path: Path) -> None:
    path = tmp_path / "gym.hdf5"
    demos = _write_plain(path, [3, 2], flat=True)
    ds = mimetic.load(path)
    assert isinstance(ds[0].obs, np.ndarray)
    np.testing.assert_array_equal(ds[1].obs, demos[1]["obs"]["flat"])


def test_file_without_next_obs_drops_the_last_action(tmp_path: Path) -> None:
    path = tmp_path / "no_next.hdf5"
    demos = _write_plain(path, [4, 3], next_obs=False)
    ds = mimetic.load(path)
    traj = ds[0]
    assert len(traj) == 3
    np.testing.assert_array_equal(traj.obs["object"], demos[0]["obs"]["object"][:4])
    np.testing.assert_array_equal(traj.acts, demos[0]["acts"][:3])
    np.testing.assert_array_equal(traj.rews, demos[0]["rews"][:3])
    np.testing.assert_array_equal(traj.extras["states"], demos[0]["states"][:3])
    assert traj.truncated and not traj.terminated


def test_success_marked_dones_are_kept_as_an_extra(tmp_path: Path) -> None:
    path = tmp_path / "done_mode2.hdf5"
    _write_plain(path, [4])
    with h5py.File(path, "r+") as f:
        del f["data/demo_0/dones"]
        f["data/demo_0/dones"] = np.array([0, 1, 1, 1])  # robomimic done_mode 2: every success state
    traj = mimetic.load(path)[0]
    assert traj.terminated
    np.testing.assert_array_equal(traj.extras["dones"], [0, 1, 1, 1])


# --------------------------------------------------------------------------- errors


def _error(path: Path) -> str:
    with pytest.raises(DatasetError) as info:
        mimetic.load(path)
    return str(info.value)


def test_missing_actions_names_file_episode_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.hdf5"
    _write_plain(path, [3, 3, 3, 3, 3])
    with h5py.File(path, "r+") as f:
        del f["data/demo_3/actions"]
    message = _error(path)
    assert str(path) in message and "episode 3" in message and "field 'actions'" in message
    assert "demo_3" in message


def test_obs_length_mismatch_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.hdf5"
    _write_plain(path, [3, 4])
    with h5py.File(path, "r+") as f:
        for group in ("obs", "next_obs"):
            value = f[f"data/demo_1/{group}/object"][()]
            del f[f"data/demo_1/{group}/object"]
            f[f"data/demo_1/{group}/object"] = value[:2]
    message = _error(path)
    assert str(path) in message and "episode 1" in message and "field 'obs/object'" in message


def test_next_obs_missing_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.hdf5"
    _write_plain(path, [3])
    with h5py.File(path, "r+") as f:
        del f["data/demo_0/next_obs/object"]
        f["data/demo_0/next_obs/object"] = np.zeros((0, 10))
    message = _error(path)
    assert "episode 0" in message and "field 'next_obs/object'" in message


def test_num_samples_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "bad.hdf5"
    _write_plain(path, [3, 3])
    with h5py.File(path, "r+") as f:
        f["data/demo_1"].attrs["num_samples"] = 7
    message = _error(path)
    assert "episode 1" in message and "field 'num_samples'" in message and "found 7" in message


def test_mask_naming_a_missing_demo(tmp_path: Path) -> None:
    path = tmp_path / "bad.hdf5"
    _write_plain(path, [3, 3, 3])
    with h5py.File(path, "r+") as f:
        del f["mask/valid"]
        f["mask/valid"] = np.array([b"demo_2", b"demo_9"])
    message = _error(path)
    assert str(path) in message and "field 'mask/valid'" in message and "demo_9" in message


def test_truncated_file(tmp_path: Path) -> None:
    good = mimetic.save(_dataset(), tmp_path / "good.hdf5")
    raw = good.read_bytes()
    bad = tmp_path / "truncated.hdf5"
    bad.write_bytes(raw[: len(raw) // 2])
    message = _error(bad)
    assert str(bad) in message and "HDF5" in message


def test_not_an_hdf5_file(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.hdf5"
    bad.write_bytes(b"this is not hdf5" * 10)
    assert str(bad) in _error(bad)


def test_file_without_demos(tmp_path: Path) -> None:
    path = tmp_path / "empty.hdf5"
    with h5py.File(path, "w") as f:
        f.create_group("data")
    message = _error(path)
    assert "no demonstrations" in message and "field 'data'" in message
    with h5py.File(path, "w") as f:
        f.create_group("something_else")
    assert "field 'data'" in _error(path)


def test_invalid_env_args(tmp_path: Path) -> None:
    path = tmp_path / "bad.hdf5"
    _write_plain(path, [2])
    with h5py.File(path, "r+") as f:
        f["data"].attrs["env_args"] = "{not json"
    assert "field 'env_args'" in _error(path)
