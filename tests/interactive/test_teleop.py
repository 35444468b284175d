"""`mimetic teleop` driven by scripted key events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mimetic
from mimetic.cli import main
from mimetic.interactive.teleop import ScriptedKeys, person_segments, run_teleop


class Constant:
    """A novice that always proposes the same action."""

    def __init__(self, action: int) -> None:
        self.action = action

    def act(self, obs, state=None, *, deterministic=True):  # type: ignore[no-untyped-def]
        return np.full(len(obs), self.action, dtype=np.int64), state

    def reset(self, batch_size: int) -> None:
        return None


def test_person_alone_drives_and_cartpole_repeats_the_last_key() -> None:
    keys = ScriptedKeys(["d", None, None, "a", None, "right", "q"])
    ds = run_teleop("CartPole-v1", keys, episodes=2, seed=3, hold_steps=1)
    assert len(ds) == 1  # "q" ended the session during the first episode
    traj = ds.episodes[0]
    np.testing.assert_array_equal(traj.acts, [1, 1, 1, 0, 0, 1])
    assert traj.truncated and not traj.terminated
    assert traj.extras["intervention"].all()


def test_mountaincar_falls_back_to_the_noop_between_presses() -> None:
    keys = ScriptedKeys(["d", None, None, "a", None, "q"])
    traj = run_teleop("MountainCar-v0", keys, hold_steps=2).episodes[0]
    np.testing.assert_array_equal(traj.acts, [2, 2, 1, 0, 0])  # a press holds for 2 steps, then no-op (1)


def test_a_key_takes_over_from_the_novice_for_hold_steps(tmp_path: Path) -> None:
    keys = ScriptedKeys([None, None, "a", None, None, None, None, "d", None, None, "q"])
    ds = run_teleop("CartPole-v1", keys, novice=Constant(1), hold_steps=4, seed=0)
    traj = ds.episodes[0]
    person = [False, False, True, True, True, True, False, True, True, True]
    np.testing.assert_array_equal(traj.extras["intervention"], person)
    np.testing.assert_array_equal(traj.acts, [1, 1, 0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(traj.extras["novice_action"], np.ones(10))
    out = mimetic.save(ds, tmp_path / "teleop", format="minari")
    back = mimetic.load(out)
    np.testing.assert_array_equal(back.episodes[0].extras["intervention"], person)
    np.testing.assert_array_equal(back.episodes[0].acts, traj.acts)
    assert back.metadata.env_id == "CartPole-v1"
    segments = person_segments(back)  # HG-DAgger's data: the two takeovers, steps 2-5 and 7-9
    assert [len(t) for t in segments.episodes] == [4, 3]
    np.testing.assert_array_equal(segments.episodes[0].obs, traj.obs[2:7])
    np.testing.assert_array_equal(segments.episodes[1].acts, [1, 1, 1])


def test_episodes_end_with_the_env_and_restart_from_the_next_seed() -> None:
    ds = run_teleop("CartPole-v1", ScriptedKeys([]), novice=Constant(0), episodes=2, seed=5)
    assert len(ds) == 2 and all(t.terminated for t in ds.episodes)  # always pushing left falls over
    assert not ds.episodes[0].extras["intervention"].any()
    assert not np.array_equal(ds.episodes[0].obs[0], ds.episodes[1].obs[0])


def test_bad_input_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["teleop", "Pendulum-v1", "--out", str(tmp_path / "x")]) == 2
    assert "no keyboard mapping for 'Pendulum-v1'" in capsys.readouterr().err
    assert main(["teleop", "CartPole-v1", "--out", str(tmp_path / "x")]) == 2  # pytest's stdin is no terminal
    assert "interactive terminal" in capsys.readouterr().err
