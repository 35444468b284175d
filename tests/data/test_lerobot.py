"""The LeRobot v3 format: bitwise round trips, datasets LeRobot wrote, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from gymnasium import spaces

import mimetic
from mimetic.data import Dataset, DatasetError, DatasetMetadata, Trajectory, detect_format

DATA = "data/chunk-000/file-000.parquet"
EPISODES = "meta/episodes/chunk-000/file-000.parquet"


def _episode(rng: np.random.Generator, steps: int, *, rews: bool = True, **flags: bool) -> Trajectory:
    return Trajectory(
        obs={
            "state": rng.normal(size=(steps + 1, 3)).astype(np.float32),
            "goal": {"xy": rng.integers(-5, 5, size=(steps + 1, 2)).astype(np.int16)},
            "image": rng.integers(0, 255, size=(steps + 1, 2, 3, 4)).astype(np.uint8),
            "scalar": rng.normal(size=steps + 1),
            "one": rng.normal(size=(steps + 1, 1)).astype(np.float32),
        },
        acts=rng.integers(0, 4, size=steps),
        rews=rng.normal(size=steps).astype(np.float32) if rews else None,
        infos={"success": np.arange(steps + 1) == steps, "nested": {"d": rng.normal(size=(steps + 1, 2))}},
        extras={
            "expert_action": rng.normal(size=(steps, 2)).astype(np.float16),
            "intervened": rng.random(steps) > 0.5,
        },
        **flags,
    )


def _dataset(rews: bool = True) -> Dataset:
    rng = np.random.default_rng(0)
    episodes = [
        _episode(rng, 5, rews=rews, terminated=True),
        _episode(rng, 3, rews=rews, truncated=True),
        _episode(rng, 0, rews=rews),  # an empty episode: only the initial observation
        _episode(rng, 7, rews=rews, terminated=True),
    ]
    meta = DatasetMetadata(
        observation_space=spaces.Dict({"state": spaces.Box(-1.0, 1.0, (3,), np.float32)}),
        action_space=spaces.Discrete(4),
        env_id="mimetic/Maze-v0",
        dataset_id="mimetic/maze-expert-v0",
        source="scripted:mimetic/Maze-v0",
        license="CC-BY-4.0",
        masks={"train": [0, 3, 2], "valid": [1]},
        extra={"note": "round trip", "lerobot": {"fps": 10, "robot_type": "point"}},
    )
    return Dataset(episodes, meta)


@pytest.mark.parametrize("rews", [True, False])
def test_round_trip_is_bitwise(tmp_path: Path, rews: bool) -> None:
    ds = _dataset(rews)
    path = mimetic.save(ds, tmp_path / "maze", format="lerobot")
    assert detect_format(path).name == "lerobot"
    back = mimetic.load(path)
    assert back.equals(ds)
    assert all((t.rews is None) == (not rews) for t in back)
    assert back[0].obs["scalar"].shape == (6,) and back[0].obs["one"].shape == (6, 1)
    assert back[0].extras["expert_action"].dtype == np.float16
    assert back.metadata.masks == {"train": [0, 3, 2], "valid": [1]}


def test_some_episodes_without_rewards_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    ds = Dataset([_episode(rng, 4), _episode(rng, 2, rews=False), _episode(rng, 3)])
    back = mimetic.load(mimetic.save(ds, tmp_path / "mixed", format="lerobot"))
    assert back.equals(ds) and back[1].rews is None and back[0].rews is not None


def test_array_observations_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    episodes = [
        Trajectory(
            obs=rng.normal(size=(t + 1, 4)).astype(np.float32), acts=rng.normal(size=(t, 1)), truncated=True
        )
        for t in (3, 1)
    ]
    ds = Dataset(episodes)
    path = mimetic.save(ds, tmp_path / "pendulum", format="lerobot")
    table = pq.read_table(path / DATA)
    assert table.schema.field("observation.state").type == pa.list_(pa.float32(), 4)
    assert table.schema.field("action").type == pa.float64()  # shape (1,) is a scalar column, as in LeRobot
    assert mimetic.load(path).equals(ds)


def test_written_layout_matches_lerobot_v3(tmp_path: Path) -> None:
    ds = _dataset()
    path = mimetic.save(ds, tmp_path / "maze", format="lerobot")
    info = json.loads((path / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0"
    assert info["fps"] == 10 and info["robot_type"] == "point"
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (4, 15, 1)
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    assert info["splits"] == {"train": "0:4"}
    assert info["features"]["observation.state"] == {"dtype": "float32", "shape": [3], "names": None}
    assert info["features"]["action"] == {"dtype": "int64", "shape": [1], "names": None}
    assert info["features"]["observation.image"]["shape"] == [2, 3, 4]
    assert info["mimetic"]["env_id"] == "mimetic/Maze-v0"

    frames = pq.read_table(path / DATA)
    assert frames.num_rows == 15  # T frames per episode, no fake frame for the final observation
    for name in (
        "index",
        "episode_index",
        "frame_index",
        "timestamp",
        "task_index",
        "observation.state",
        "action",
    ):
        assert name in frames.column_names
    assert frames.column("timestamp").type == pa.float32()
    np.testing.assert_array_equal(frames.column("episode_index").to_numpy(), np.repeat([0, 1, 3], [5, 3, 7]))
    np.testing.assert_array_equal(frames.column("frame_index").to_numpy()[:6], [0, 1, 2, 3, 4, 0])
    np.testing.assert_array_equal(frames.column("index").to_numpy(), np.arange(15))
    done = frames.column("next.done").to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(np.flatnonzero(done), [4, 14])  # last frames of the terminated episodes
    state = np.stack(frames.column("observation.state").to_numpy(zero_copy_only=False))
    np.testing.assert_array_equal(state[:5], ds[0].obs["state"][:5])

    episodes = pq.read_table(path / EPISODES).to_pydict()
    assert episodes["episode_index"] == [0, 1, 2, 3]
    assert episodes["length"] == [5, 3, 0, 7]
    assert episodes["dataset_from_index"] == [0, 5, 8, 8]
    assert episodes["dataset_to_index"] == [5, 8, 8, 15]
    assert episodes["data/chunk_index"] == episodes["data/file_index"] == [0, 0, 0, 0]
    assert episodes["tasks"] == [["mimetic/Maze-v0"]] * 4
    np.testing.assert_array_equal(episodes["mimetic.final_observation.state"][0], ds[0].obs["state"][-1])
    assert episodes["mimetic.terminated"] == [True, False, False, True]
    assert episodes["mimetic.truncated"] == [False, True, False, False]

    tasks = pq.read_table(path / "meta/tasks.parquet").to_pydict()
    assert tasks == {"task_index": [0], "task": ["mimetic/Maze-v0"]}
    stats = json.loads((path / "meta/stats.json").read_text())
    frames_state = np.concatenate([t.obs["state"][:-1] for t in ds]).astype(np.float64)
    np.testing.assert_allclose(stats["observation.state"]["mean"], frames_state.mean(0))
    assert stats["observation.state"]["count"] == [15]


# --------------------------------------------------------------------------- datasets LeRobot wrote


def _write_foreign(root: Path, lengths: list[int], *, files: int = 1, variable_lists: bool = False) -> dict:
    """A LeRobot v3 dataset as LeRobot writes it (no mimetic keys), split over `files` data files."""
    rng = np.random.default_rng(3)
    total = sum(lengths)
    state = rng.normal(size=(total, 6)).astype(np.float32)
    env_state = rng.normal(size=(total, 2)).astype(np.float32)
    action = rng.normal(size=(total, 6)).astype(np.float32)
    reward = rng.normal(size=total).astype(np.float32)
    success = rng.random(total) > 0.5
    episode_index = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.cumsum(lengths) - lengths
    frame_index = np.arange(total) - np.repeat(starts, lengths)

    def vectors(x: np.ndarray) -> pa.Array:
        if variable_lists:  # what pandas writes for lists of floats
            return pa.array(list(x), type=pa.list_(pa.from_numpy_dtype(x.dtype)))
        return pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), x.shape[1])

    table = pa.table(
        {
            "observation.state": vectors(state),
            "observation.environment_state": vectors(env_state),
            "action": vectors(action),
            "next.reward": pa.array(reward),
            "next.done": pa.array(frame_index == np.repeat(lengths, lengths) - 1),
            "next.success": pa.array(success),
            "timestamp": pa.array((frame_index / 10).astype(np.float32)),
            "frame_index": pa.array(frame_index),
            "episode_index": pa.array(episode_index),
            "index": pa.array(np.arange(total)),
            "task_index": pa.array(np.zeros(total, dtype=np.int64)),
        }
    )
    # Episodes are never split across files; file boundaries fall between episodes.
    bounds = np.array_split(np.arange(len(lengths)), files)
    file_of_episode = np.zeros(len(lengths), dtype=np.int64)
    for k, eps in enumerate(bounds):
        file_of_episode[eps] = k
        lo, hi = starts[eps[0]], starts[eps[-1]] + lengths[eps[-1]]
        out = root / f"data/chunk-000/file-{k:03d}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(lo, hi - lo), out)
    episodes = pa.table(
        {
            "episode_index": pa.array(np.arange(len(lengths))),
            "tasks": pa.array([["push the block"]] * len(lengths), type=pa.list_(pa.string())),
            "length": pa.array(np.array(lengths)),
            "data/chunk_index": pa.array(np.zeros(len(lengths), dtype=np.int64)),
            "data/file_index": pa.array(file_of_episode),
            "dataset_from_index": pa.array(starts),
            "dataset_to_index": pa.array(starts + np.array(lengths)),
            "stats/action/mean": pa.array(
                [list(action[s : s + n].mean(0)) for s, n in zip(starts, lengths, strict=True)]
            ),
        }
    )
    (root / "meta/episodes/chunk-000").mkdir(parents=True)
    pq.write_table(episodes, root / EPISODES)
    pq.write_table(pa.table({"task_index": [0], "task": ["push the block"]}), root / "meta/tasks.parquet")
    feature = {"dtype": "float32", "shape": [6], "names": [f"motor_{i}" for i in range(6)]}
    info = {
        "codebase_version": "v3.0",
        "robot_type": "so100",
        "total_episodes": len(lengths),
        "total_frames": total,
        "total_tasks": 1,
        "chunks_size": 1000,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 500,
        "fps": 10,
        "splits": {"train": f"0:{len(lengths)}"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
        "features": {
            "observation.state": feature,
            "observation.environment_state": {"dtype": "float32", "shape": [2], "names": None},
            "observation.images.top": {
                "dtype": "video",
                "shape": [96, 96, 3],
                "names": ["height", "width", "channels"],
            },
            "action": feature,
            "next.reward": {"dtype": "float32", "shape": [1], "names": None},
            "next.done": {"dtype": "bool", "shape": [1], "names": None},
            "next.success": {"dtype": "bool", "shape": [1], "names": None},
            "timestamp": {"dtype": "float32", "shape": [1], "names": None},
            "frame_index": {"dtype": "int64", "shape": [1], "names": None},
            "episode_index": {"dtype": "int64", "shape": [1], "names": None},
            "index": {"dtype": "int64", "shape": [1], "names": None},
            "task_index": {"dtype": "int64", "shape": [1], "names": None},
        },
    }
    (root / "meta/info.json").write_text(json.dumps(info, indent=4))
    return {"state": state, "env_state": env_state, "action": action, "reward": reward, "success": success}


@pytest.mark.parametrize(("files", "variable_lists"), [(1, False), (3, True)])
def test_lerobot_dataset_loads(tmp_path: Path, files: int, variable_lists: bool) -> None:
    lengths = [4, 6, 3, 5]
    root = tmp_path / "so100_push"
    raw = _write_foreign(root, lengths, files=files, variable_lists=variable_lists)
    ds = mimetic.load(root)
    assert len(ds) == 4
    starts = np.cumsum(lengths) - lengths
    for i, (start, frames) in enumerate(zip(starts, lengths, strict=True)):
        traj = ds[i]
        # T frames give T observations and T-1 actions: the last action has no next observation.
        assert len(traj) == frames - 1
        assert set(traj.obs) == {"state", "environment_state"}
        np.testing.assert_array_equal(traj.obs["state"], raw["state"][start : start + frames])
        np.testing.assert_array_equal(traj.obs["environment_state"], raw["env_state"][start : start + frames])
        np.testing.assert_array_equal(traj.acts, raw["action"][start : start + frames - 1])
        np.testing.assert_array_equal(traj.rews, raw["reward"][start : start + frames - 1])
        np.testing.assert_array_equal(traj.extras["next.success"], raw["success"][start : start + frames - 1])
        assert traj.obs["state"].dtype == np.float32 and traj.extras["next.success"].dtype == bool
        assert traj.truncated and not traj.terminated
    assert ds.metadata.masks == {"train": [0, 1, 2, 3]}
    assert ds.metadata.extra["lerobot"]["fps"] == 10
    assert ds.metadata.extra["lerobot"]["robot_type"] == "so100"
    assert ds.metadata.extra["lerobot"]["tasks"] == ["push the block"]
    # and it can be written back out and read again unchanged
    assert mimetic.load(mimetic.save(ds, tmp_path / "copy", format="lerobot")).equals(ds)


def test_lerobot_state_only_is_an_array(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    raw = _write_foreign(root, [3, 2])
    for file in [root / DATA]:
        pq.write_table(pq.read_table(file).drop_columns(["observation.environment_state"]), file)
    ds = mimetic.load(root)
    assert isinstance(ds[0].obs, np.ndarray)
    np.testing.assert_array_equal(ds[1].obs, raw["state"][3:5])


def test_frames_out_of_order_are_sorted_by_index(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    raw = _write_foreign(root, [3, 4])
    table = pq.read_table(root / DATA)
    pq.write_table(table.take(pa.array(np.random.default_rng(0).permutation(7))), root / DATA)
    ds = mimetic.load(root)
    np.testing.assert_array_equal(ds[1].obs["state"], raw["state"][3:7])


def test_shuffled_tables_of_a_mimetic_dataset_still_load_bitwise(tmp_path: Path) -> None:
    ds = _dataset()
    root = mimetic.save(ds, tmp_path / "ds", format="lerobot")
    frames = pq.read_table(root / DATA)
    pq.write_table(frames.take(pa.array(np.random.default_rng(1).permutation(frames.num_rows))), root / DATA)
    episodes = pq.read_table(root / EPISODES)
    pq.write_table(episodes.take(pa.array([2, 0, 3, 1])), root / EPISODES)
    assert mimetic.load(root).equals(ds)


# --------------------------------------------------------------------------- errors


def _error(path: Path) -> str:
    with pytest.raises(DatasetError) as info:
        mimetic.load(path)
    return str(info.value)


def test_missing_info_json(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2])
    (root / "meta/info.json").unlink()
    message = _error(root)
    assert str(root / "meta/info.json") in message and "missing" in message


def test_truncated_data_file(tmp_path: Path) -> None:
    root = mimetic.save(_dataset(), tmp_path / "ds", format="lerobot")
    raw = (root / DATA).read_bytes()
    (root / DATA).write_bytes(raw[: len(raw) // 2])
    message = _error(root)
    assert str(root / DATA) in message and "corrupt or truncated" in message


def test_corrupt_episodes_file(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2])
    (root / EPISODES).write_bytes(b"PAR1 not really parquet")
    assert str(root / EPISODES) in _error(root)


def test_missing_action_column(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2])
    pq.write_table(pq.read_table(root / DATA).drop_columns(["action"]), root / DATA)
    message = _error(root)
    assert str(root / DATA) in message and "field 'action'" in message


def test_missing_column_in_a_mimetic_dataset(tmp_path: Path) -> None:
    root = mimetic.save(_dataset(), tmp_path / "ds", format="lerobot")
    pq.write_table(pq.read_table(root / DATA).drop_columns(["mimetic.extras.intervened"]), root / DATA)
    message = _error(root)
    assert str(root / DATA) in message and "field 'mimetic.extras.intervened'" in message


def test_episode_length_mismatch(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2, 4])
    episodes = pq.read_table(root / EPISODES)
    episodes = episodes.set_column(2, "length", pa.array([3, 5, 4]))
    pq.write_table(episodes, root / EPISODES)
    message = _error(root)
    assert str(root / EPISODES) in message and "episode 1" in message and "field 'length'" in message


def test_episode_range_beyond_the_data(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2])
    episodes = pq.read_table(root / EPISODES)
    episodes = episodes.set_column(2, "length", pa.array([3, 9]))
    episodes = episodes.set_column(6, "dataset_to_index", pa.array([3, 12]))
    pq.write_table(episodes, root / EPISODES)
    message = _error(root)
    assert "episode 1" in message and "field 'dataset_to_index'" in message


def test_frames_of_the_wrong_episode(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2])
    table = pq.read_table(root / DATA)
    column = table.schema.get_field_index("episode_index")
    pq.write_table(table.set_column(column, "episode_index", pa.array([0, 0, 1, 1, 1])), root / DATA)
    message = _error(root)
    assert "episode 0" in message and "field 'episode_index'" in message


def test_ragged_lists_name_the_episode(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2], variable_lists=True)
    table = pq.read_table(root / DATA)
    rows = table.column("action").to_pylist()
    rows[4] = rows[4][:5]
    column = table.schema.get_field_index("action")
    pq.write_table(
        table.set_column(column, "action", pa.array(rows, type=table.schema.field("action").type)),
        root / DATA,
    )
    message = _error(root)
    assert "episode 1" in message and "field 'action'" in message and "row 4" in message


def test_missing_values(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2])
    table = pq.read_table(root / DATA)
    column = table.schema.get_field_index("next.reward")
    pq.write_table(
        table.set_column(column, "next.reward", pa.array([1.0, None, 2.0, 3.0, 4.0], pa.float32())),
        root / DATA,
    )
    message = _error(root)
    assert "episode 0" in message and "field 'next.reward'" in message and "missing values" in message


def test_empty_foreign_episode(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3, 2])
    episodes = pq.read_table(root / EPISODES)
    episodes = episodes.set_column(2, "length", pa.array([3, 0]))
    episodes = episodes.set_column(6, "dataset_to_index", pa.array([3, 3]))
    episodes = episodes.set_column(5, "dataset_from_index", pa.array([0, 3]))
    pq.write_table(episodes, root / EPISODES)
    message = _error(root)
    assert "episode 1" in message and "at least one frame" in message


def test_old_codebase_version(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    _write_foreign(root, [3])
    info = json.loads((root / "meta/info.json").read_text())
    info["codebase_version"] = "v2.1"
    (root / "meta/info.json").write_text(json.dumps(info))
    message = _error(root)
    assert "field 'codebase_version'" in message and "v2.1" in message


def test_final_observation_column_missing(tmp_path: Path) -> None:
    root = mimetic.save(_dataset(), tmp_path / "ds", format="lerobot")
    episodes = pq.read_table(root / EPISODES)
    pq.write_table(episodes.drop_columns(["mimetic.final_observation.state"]), root / EPISODES)
    message = _error(root)
    assert str(root / EPISODES) in message and "field 'mimetic.final_observation.state'" in message
