from __future__ import annotations

import numpy as np
import pytest

from mimetic.data import Trajectory, Transitions
from mimetic.rl.replay import MixedReplay, ReplayBuffer


def _fill(buffer: ReplayBuffer, start: int, n: int, mark: float) -> None:
    obs = {"x": np.arange(start, start + n, dtype=np.float32)[:, None], "g": np.full((n, 2), mark)}
    buffer.add(obs, np.arange(start, start + n), np.full(n, mark), obs, np.zeros(n, dtype=bool))


def test_ring_buffer_overwrites_oldest() -> None:
    buf = ReplayBuffer(capacity=4)
    _fill(buf, 0, 3, 1.0)
    _fill(buf, 3, 3, 1.0)  # rows 3, 4, 5; 4 and 5 overwrite slots 0 and 1
    assert len(buf) == 4 and buf.pos == 2
    stored = sorted(buf.sample(200, np.random.default_rng(0))["acts"].tolist())
    assert set(stored) == {2, 3, 4, 5}


def test_mixed_replay_ratio_is_exact_in_every_batch() -> None:
    demos, online = ReplayBuffer(100), ReplayBuffer(100)
    _fill(demos, 0, 10, 1.0)
    _fill(online, 0, 10, 0.0)
    mixed = MixedReplay([demos, online], [0.5, 0.5])
    rng = np.random.default_rng(1)
    for _ in range(5):
        batch = mixed.sample(7, rng)
        assert batch["rews"].tolist()[:4] == [1.0] * 4  # round(3.5) = 4 from demos
        assert batch["rews"].tolist()[4:] == [0.0] * 3
        assert batch["obs"]["g"].shape == (7, 2)
    with pytest.raises(ValueError, match="add up to 1"):
        MixedReplay([demos, online], [0.6, 0.6])


def test_state_dict_round_trip_and_same_samples() -> None:
    buf = ReplayBuffer(8)
    _fill(buf, 0, 5, 2.0)
    copy = ReplayBuffer(8)
    copy.load_state_dict(buf.state_dict())
    a = buf.sample(16, np.random.default_rng(3))
    b = copy.sample(16, np.random.default_rng(3))
    np.testing.assert_array_equal(a["acts"], b["acts"])
    np.testing.assert_array_equal(a["obs"]["x"], b["obs"]["x"])


def test_add_transitions_from_demonstrations() -> None:
    traj = Trajectory(obs=np.arange(4.0)[:, None], acts=np.array([0, 1, 0]), terminated=True)
    buf = ReplayBuffer(10)
    buf.add_transitions(Transitions.from_trajectories([traj]))
    batch = buf.sample(50, np.random.default_rng(0))
    np.testing.assert_array_equal(batch["next_obs"][:, 0], batch["obs"][:, 0] + 1)
    assert set(batch["terminals"].tolist()) == {False, True}
    assert np.all(batch["rews"] == 0)


def test_state_dict_holds_the_filled_rows_and_refuses_a_smaller_ring() -> None:
    buf = ReplayBuffer(100)
    _fill(buf, 0, 5, 2.0)
    state = buf.state_dict()
    assert state["data/acts"].tolist() == [0, 1, 2, 3, 4]  # 5 rows saved, not the 100 slots
    copy = ReplayBuffer(100)
    copy.load_state_dict(dict(sorted(state.items())))  # a checkpoint gives its keys back sorted
    _fill(copy, 5, 2, 3.0)  # goes on at slot 5, as the original would
    _fill(buf, 5, 2, 3.0)
    np.testing.assert_array_equal(copy.state_dict()["data/acts"], buf.state_dict()["data/acts"])
    ring = ReplayBuffer(4)
    _fill(ring, 0, 6, 1.0)  # wrapped: slot 2 holds the oldest row
    with pytest.raises(ValueError, match="wrapped at 4 rows"):
        ReplayBuffer(8).load_state_dict(ring.state_dict())
    with pytest.raises(ValueError, match="more than this buffer's capacity 3"):
        ReplayBuffer(3).load_state_dict(ring.state_dict())
