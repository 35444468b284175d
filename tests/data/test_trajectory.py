from __future__ import annotations

import numpy as np
import pytest

from mimetic.data import DatasetError, Trajectory, Transitions


def _traj(steps: int = 3, terminated: bool = True) -> Trajectory:
    return Trajectory(
        obs=np.arange((steps + 1) * 2, dtype=np.float32).reshape(steps + 1, 2),
        acts=np.arange(steps, dtype=np.int64),
        rews=np.array([1.0, 2.0, 3.0][:steps]),
        terminated=terminated,
        truncated=not terminated,
        extras={"flag": np.array([True, False, True][:steps])},
    )


def test_obs_must_have_one_more_row_than_actions() -> None:
    with pytest.raises(DatasetError, match=r"field 'obs'.*expected 4 rows for 3 actions, found 3 rows"):
        Trajectory(obs=np.zeros((3, 2)), acts=np.zeros(3))


def test_dict_obs_leaf_named_in_error() -> None:
    with pytest.raises(DatasetError, match="field 'obs/goal'"):
        Trajectory(obs={"pos": np.zeros((4, 2)), "goal": np.zeros((3, 2))}, acts=np.zeros(3))


def test_rewards_extras_and_infos_lengths_checked() -> None:
    with pytest.raises(DatasetError, match="field 'rews'"):
        Trajectory(obs=np.zeros((4, 2)), acts=np.zeros(3), rews=np.zeros(4))
    with pytest.raises(DatasetError, match="field 'extras/x'"):
        Trajectory(obs=np.zeros((4, 2)), acts=np.zeros(3), extras={"x": np.zeros(4)})
    with pytest.raises(DatasetError, match="field 'infos/y'"):
        Trajectory(obs=np.zeros((4, 2)), acts=np.zeros(3), infos={"y": np.zeros(3)})


def test_trajectory_is_read_only() -> None:
    traj = _traj()
    with pytest.raises(ValueError):
        traj.acts[0] = 5


def test_return_and_len() -> None:
    traj = _traj()
    assert len(traj) == 3
    assert traj.ret == 6.0
    assert np.isnan(Trajectory(obs=np.zeros((2, 1)), acts=np.zeros(1)).ret)


def test_equals_is_bitwise_and_dtype_sensitive() -> None:
    a = _traj()
    b = Trajectory(obs=a.obs.astype(np.float64), acts=a.acts, rews=a.rews, terminated=True, extras=a.extras)
    assert a.equals(_traj())
    assert not a.equals(b)
    assert not a.equals(_traj(terminated=False))


def test_transitions_hand_computed() -> None:
    t1 = _traj(2, terminated=True)
    t2 = _traj(3, terminated=False)
    tr = Transitions.from_trajectories([t1, t2])
    assert len(tr) == 5
    np.testing.assert_array_equal(tr.obs[:, 0], [0, 2, 0, 2, 4])
    np.testing.assert_array_equal(tr.next_obs[:, 0], [2, 4, 2, 4, 6])
    np.testing.assert_array_equal(tr.acts, [0, 1, 0, 1, 2])
    np.testing.assert_array_equal(tr.dones, [False, True, False, False, True])
    # the truncated episode's end is done but not terminal: TD targets still bootstrap there
    np.testing.assert_array_equal(tr.terminals, [False, True, False, False, False])
    np.testing.assert_array_equal(tr.rews, [1, 2, 1, 2, 3])
    np.testing.assert_array_equal(tr.extras["flag"], [True, False, True, False, True])


def test_transitions_of_one_episode_are_views() -> None:
    traj = _traj()
    tr = Transitions.from_trajectories([traj])
    assert np.shares_memory(tr.obs, traj.obs)
    assert np.shares_memory(tr.next_obs, traj.obs)


def test_transitions_dict_obs_and_indexing() -> None:
    traj = Trajectory(obs={"a": np.arange(4.0), "b": {"c": np.arange(4) * 10}}, acts=np.zeros(3))
    tr = Transitions.from_trajectories([traj, traj])
    np.testing.assert_array_equal(tr.next_obs["b"]["c"], [10, 20, 30, 10, 20, 30])
    batch = tr[np.array([0, 4])]
    np.testing.assert_array_equal(batch.obs["a"], [0.0, 1.0])
    assert len(batch) == 2


def test_no_episodes_is_an_error() -> None:
    with pytest.raises(DatasetError, match="no episodes"):
        Transitions.from_trajectories([])
