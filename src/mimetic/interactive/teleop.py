"""A person at the keyboard: drive a classic-control env, or take over from a novice policy.

`run_teleop` steps the env at a fixed rate, reads keys from a `KeySource` and records every
episode as a `Trajectory`. Alone, the person drives. With a novice policy, the novice drives and
a control key takes over for `hold_steps` steps (RLIF's takeover, Luo et al. 2023); the steps a
person drove are marked in `extras["intervention"]` and the novice's proposals are kept in
`extras["novice_action"]`, so the recording is HG-DAgger data (Kelly et al. 2019: aggregate the
intervention segments, `mimetic.interactive.takeover.expert_segments`) and RLIF data (reward from
`intervention_rewards`). Keys come from an injectable source: the terminal in raw mode for a
person, a scripted list in tests.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.errors import DatasetError
from mimetic.data.trajectory import Trajectory

QUIT_KEY = "q"


@dataclass(frozen=True)
class KeyMap:
    """Keys to discrete actions for one env, and what happens when no key is pressed."""

    actions: dict[str, int]
    idle_action: int | None
    """The action when no key is pressed; None repeats the last action (CartPole has no no-op)."""
    help: str


KEYMAPS: dict[str, KeyMap] = {
    "CartPole-v1": KeyMap(
        {"a": 0, "left": 0, "d": 1, "right": 1}, None, "a/left: push left, d/right: push right"
    ),
    "MountainCar-v0": KeyMap(
        {"a": 0, "left": 0, "s": 1, "down": 1, "d": 2, "right": 2},
        1,
        "a/left: accelerate left, d/right: right",
    ),
    "Acrobot-v1": KeyMap(
        {"a": 0, "left": 0, "s": 1, "down": 1, "d": 2, "right": 2}, 1, "a/left: torque -1, d/right: +1"
    ),
}


class KeySource(Protocol):
    """Where key presses come from: `poll()` returns the key pressed since the last call, or None."""

    def poll(self) -> str | None: ...

    def close(self) -> None: ...


class ScriptedKeys:
    """Keys from a list, one entry per env step (None: no key); then no keys. For tests and demos."""

    def __init__(self, keys: Sequence[str | None]) -> None:
        self.keys = list(keys)
        self.index = 0

    def poll(self) -> str | None:
        key = self.keys[self.index] if self.index < len(self.keys) else None
        self.index += 1
        return key

    def close(self) -> None:
        return None


_ESCAPES = {"\x1b[D": "left", "\x1b[C": "right", "\x1b[B": "down", "\x1b[A": "up"}


class TerminalKeys:
    """Non-blocking key presses from a POSIX terminal in cbreak mode (restored by `close`)."""

    def __init__(self) -> None:
        if not sys.stdin.isatty():
            raise DatasetError("teleop needs an interactive terminal (stdin is not a tty)", field="stdin")
        import termios
        import tty

        self._fd = sys.stdin.fileno()
        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd)

    def poll(self) -> str | None:
        key = None
        while select.select([self._fd], [], [], 0.0)[0]:
            chunk = os.read(self._fd, 8).decode(errors="ignore")
            key = _ESCAPES.get(chunk, chunk[-1:] if chunk else None)  # the latest press wins
        return key

    def close(self) -> None:
        import termios

        termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)


def run_teleop(
    env_id: str,
    keys: KeySource,
    *,
    episodes: int = 1,
    seed: int = 0,
    novice: Any = None,
    hold_steps: int = 4,
    fps: float = 0.0,
    render_mode: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Dataset:
    """Record `episodes` episodes driven from `keys` (and `novice`, if given); episode i is reset
    with `seed + i`. `fps` > 0 paces the steps for a person; `q` ends the recording early (the
    episode in progress is kept, marked truncated). `on_step` receives a one-line status. `keys`
    is closed on every way out (a terminal source gives the terminal back)."""
    try:
        return _record(env_id, keys, episodes, seed, novice, hold_steps, fps, render_mode, on_step)
    finally:
        keys.close()


def _record(
    env_id: str,
    keys: KeySource,
    episodes: int,
    seed: int,
    novice: Any,
    hold_steps: int,
    fps: float,
    render_mode: str | None,
    on_step: Callable[[str], None] | None,
) -> Dataset:
    keymap = KEYMAPS.get(env_id)
    if keymap is None:
        raise DatasetError(
            "no keyboard mapping for this env", field="env", expected=sorted(KEYMAPS), found=env_id
        )
    if episodes < 1 or hold_steps < 1:
        raise ValueError("episodes and hold_steps must be >= 1")
    env = gym.make(env_id, render_mode=render_mode)
    trajectories: list[Trajectory] = []
    quit_requested = False
    try:
        for episode in range(episodes):
            obs, _ = env.reset(seed=seed + episode)
            state = novice.reset(1) if novice is not None else None
            observations, actions, rewards, flags, proposals = [obs], [], [], [], []
            hold, human_action = 0, 0 if keymap.idle_action is None else keymap.idle_action
            terminated = truncated = False
            while not (terminated or truncated):
                started = time.perf_counter()
                key = keys.poll()
                if key == QUIT_KEY:
                    quit_requested, truncated = True, True
                    break
                if key in keymap.actions:
                    human_action, hold = keymap.actions[key], hold_steps
                proposal = -1
                if novice is not None:
                    raw, state = novice.act(np.asarray(obs)[None], state, deterministic=True)
                    proposal = int(np.asarray(raw).reshape(-1)[0])
                if novice is None:
                    person = True  # alone, the person drives every step
                    idle = human_action if keymap.idle_action is None else keymap.idle_action
                    action = human_action if hold > 0 else idle
                else:
                    person = hold > 0  # a key press takes over from the novice for hold_steps steps
                    action = human_action if person else proposal
                hold = max(hold - 1, 0)
                obs, reward, terminated, truncated, _ = env.step(action)
                observations.append(obs)
                actions.append(action)
                rewards.append(float(reward))
                flags.append(person)
                proposals.append(proposal)
                if on_step is not None:
                    mode = "person" if person else "novice"
                    state_text = " ".join(f"{v:+.2f}" for v in np.asarray(obs, dtype=np.float64).ravel())
                    on_step(
                        f"ep {episode} step {len(actions)} return {sum(rewards):.0f} [{mode}] obs {state_text} | "
                        f"{keymap.help}, q: quit"
                    )
                if fps > 0:
                    time.sleep(max(0.0, 1.0 / fps - (time.perf_counter() - started)))
            if actions:
                extras: dict[str, np.ndarray] = {"intervention": np.asarray(flags, dtype=bool)}
                if novice is not None:
                    extras["novice_action"] = np.asarray(proposals, dtype=np.int64)
                trajectories.append(
                    Trajectory(
                        obs=np.stack(observations),
                        acts=np.asarray(actions, dtype=np.int64),
                        rews=np.asarray(rewards, dtype=np.float64),
                        terminated=bool(terminated),
                        truncated=bool(truncated) and not terminated,
                        extras=extras,
                    )
                )
            if quit_requested:
                break
    except BaseException:
        env.close()
        raise
    if not trajectories:
        env.close()
        raise DatasetError("nothing recorded: the session ended before the first step", field="episodes")
    meta = DatasetMetadata(
        observation_space=env.observation_space,
        action_space=env.action_space,
        env_id=env_id,
        env_spec=env.spec.to_json() if env.spec is not None else None,
        source="teleop" if novice is None else "teleop+novice",
        extra={"seed": seed, "hold_steps": hold_steps},
    )
    env.close()
    return Dataset(trajectories, meta)


def person_segments(dataset: Dataset) -> Dataset:
    """The steps a person drove in a `--novice` recording, one trajectory per takeover segment:
    the data HG-DAgger aggregates (Kelly et al. 2019). Train on it with `mimetic.train("bc", ...)`."""
    from mimetic.interactive.takeover import expert_segments

    pieces = []
    for traj in dataset.episodes:
        if "intervention" not in traj.extras:
            raise DatasetError("episode has no intervention flags", field="extras/intervention")
        for start, end in expert_segments(traj.extras["intervention"]):
            obs = np.asarray(traj.obs)[start : end + 1]
            last = end == len(traj.acts)
            pieces.append(
                Trajectory(
                    obs=obs,
                    acts=np.asarray(traj.acts)[start:end],
                    rews=None if traj.rews is None else np.asarray(traj.rews)[start:end],
                    terminated=traj.terminated and last,
                    truncated=not (traj.terminated and last),
                )
            )
    if not pieces:
        raise DatasetError("the recording holds no steps driven by a person", field="extras/intervention")
    return Dataset(pieces, dataset.metadata)
