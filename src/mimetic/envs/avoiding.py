"""`mimetic/Avoiding-v0`: a 2D point mass that must reach a goal line past rows of obstacles.

A small stand-in for D3IL's Avoiding task (Jia et al. 2024, "Towards Diverse Behaviors: A Benchmark
for Imitation Learning with Human Demonstrations"), whose MuJoCo scene cannot be installed here.
Like it, every successful path gets a discrete behaviour label: which gap it took in each row.
With rows of 1, 2 and 3 obstacles there are 2 x 3 x 4 = 24 behaviours, as in D3IL.

Dynamics are kinematic: the action is a velocity in [-1, 1]^2, scaled by `max_step`; touching an
obstacle or a side wall ends the episode as a failure; crossing the goal line is a success
(reward 1). `info["mode"]` is the behaviour label once the episode succeeds (-1 before that),
`info["success"]` says whether it has.

`mimetic/AvoidingGoal-v0` adds goals: one of several target points on the goal line, given in the
observation (a dict with "observation" and "desired_goal"); success needs the line crossed within
`goal_tolerance` of the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ROW_Y = (0.25, 0.5, 0.75)
"""Heights of the three obstacle rows."""
ROW_OBSTACLES_X: tuple[tuple[float, ...], ...] = ((0.0,), (-0.4, 0.4), (-0.6, 0.0, 0.6))
"""Obstacle centres in each row: 1, 2 and 3 obstacles, so 2, 3 and 4 gaps."""
OBSTACLE_RADIUS = 0.08
GOAL_Y = 1.0
X_LIMIT = 1.0
GOALS_X = (-0.6, 0.0, 0.6)
"""Targets of the goal-conditioned variant."""
NUM_MODES = int(np.prod([len(row) + 1 for row in ROW_OBSTACLES_X]))


def gap_index(row: int, x: float) -> int:
    """Which gap of `row` the abscissa `x` lies in: the number of obstacles to its left."""
    return int(sum(1 for ox in ROW_OBSTACLES_X[row] if ox < x))


def mode_label(gaps: tuple[int, ...]) -> int:
    """Mixed-radix code of the gap taken in each row, in [0, NUM_MODES)."""
    label = 0
    for row, gap in enumerate(gaps):
        label = label * (len(ROW_OBSTACLES_X[row]) + 1) + gap
    return label


def gap_centres(row: int) -> list[float]:
    """Midpoints of the free intervals of `row` between the walls and the obstacles."""
    edges = [-X_LIMIT, *ROW_OBSTACLES_X[row], X_LIMIT]
    return [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]


@dataclass
class _State:
    pos: np.ndarray
    gaps: list[int]
    steps: int


class AvoidingEnv(gym.Env[Any, np.ndarray]):
    """See the module docstring. `goal_conditioned=True` gives `mimetic/AvoidingGoal-v0`."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        goal_conditioned: bool = False,
        max_step: float = 0.05,
        start_noise: float = 0.02,
        goal_tolerance: float = 0.15,
    ) -> None:
        self.goal_conditioned = goal_conditioned
        self.max_step = max_step
        self.start_noise = start_noise
        self.goal_tolerance = goal_tolerance
        position = spaces.Box(np.array([-X_LIMIT, -0.1], np.float32), np.array([X_LIMIT, 1.1], np.float32))
        if goal_conditioned:
            self.observation_space: spaces.Space[Any] = spaces.Dict(
                {"observation": position, "desired_goal": spaces.Box(-X_LIMIT, X_LIMIT, (2,), np.float32)}
            )
        else:
            self.observation_space = position
        self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self._state = _State(np.zeros(2), [], 0)
        self._goal = np.array([0.0, GOAL_Y])

    def _obs(self) -> Any:
        pos = self._state.pos.astype(np.float32)
        if self.goal_conditioned:
            return {"observation": pos, "desired_goal": self._goal.astype(np.float32)}
        return pos

    def _info(self, success: bool) -> dict[str, Any]:
        mode = mode_label(tuple(self._state.gaps)) if success else -1
        return {"success": success, "mode": mode}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        start = np.array([0.0, 0.0]) + self.np_random.uniform(-self.start_noise, self.start_noise, 2)
        self._state = _State(start, [], 0)
        if self.goal_conditioned:
            self._goal = np.array([GOALS_X[int(self.np_random.integers(len(GOALS_X)))], GOAL_Y])
        return self._obs(), self._info(False)

    def step(self, action: np.ndarray) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        state = self._state
        velocity = np.clip(np.asarray(action, dtype=np.float64).reshape(2), -1.0, 1.0)
        old, new = state.pos, state.pos + self.max_step * velocity
        # a row is passed when the path crosses its height; record which gap it went through
        for row, y in enumerate(ROW_Y):
            if row == len(state.gaps) and old[1] < y <= new[1]:
                frac = (y - old[1]) / (new[1] - old[1])
                state.gaps.append(gap_index(row, float(old[0] + frac * (new[0] - old[0]))))
        state.pos, state.steps = new, state.steps + 1
        crashed = abs(new[0]) > X_LIMIT or _hits_obstacle(old, new)
        reached = bool(new[1] >= GOAL_Y and len(state.gaps) == len(ROW_Y))
        success = reached and not crashed
        if success and self.goal_conditioned:
            success = bool(abs(new[0] - self._goal[0]) <= self.goal_tolerance)
        terminated = crashed or reached
        return self._obs(), float(success), terminated, False, self._info(success)


def _hits_obstacle(a: np.ndarray, b: np.ndarray) -> bool:
    """Does the segment a -> b come within the radius of any obstacle centre?"""
    d = b - a
    length2 = float(d @ d)
    for y, row in zip(ROW_Y, ROW_OBSTACLES_X, strict=True):
        for x in row:
            c = np.array([x, y])
            t = 0.0 if length2 == 0 else float(np.clip((c - a) @ d / length2, 0.0, 1.0))
            if np.linalg.norm(a + t * d - c) < OBSTACLE_RADIUS:
                return True
    return False


class AvoidingExpert:
    """A scripted multimodal expert: each episode it draws one of the 24 behaviours uniformly and
    follows waypoints through the chosen gaps, passing each row vertically so it clears the
    obstacles. Its own generator makes the mode sequence reproducible from `seed`.

    In the goal-conditioned variant the last leg heads for the target on the goal line.
    """

    margin = OBSTACLE_RADIUS + 0.02

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self, batch_size: int) -> list[list[int]]:
        return [[int(self.rng.integers(len(row) + 1)) for row in ROW_OBSTACLES_X] for _ in range(batch_size)]

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        if isinstance(obs, dict):
            positions, goals = np.asarray(obs["observation"]), np.asarray(obs["desired_goal"])
        else:
            positions, goals = np.asarray(obs), None
        if state is None:
            state = self.reset(len(positions))
        actions = np.zeros((len(positions), 2), dtype=np.float32)
        for i, pos in enumerate(positions):
            target = self._next_waypoint(pos, state[i], None if goals is None else goals[i])
            direction = target - pos
            norm = float(np.linalg.norm(direction))
            actions[i] = direction / max(norm, 1e-8) if norm > 0.05 else direction / 0.05
        return np.clip(actions, -1.0, 1.0), state

    def _next_waypoint(self, pos: np.ndarray, gaps: list[int], goal: np.ndarray | None) -> np.ndarray:
        for row, y in enumerate(ROW_Y):
            x = gap_centres(row)[gaps[row]]
            if pos[1] < y - self.margin:
                if abs(pos[0] - x) > 0.02:
                    return np.array([x, y - self.margin])
                return np.array([x, y + self.margin])
            if pos[1] < y + self.margin:
                return np.array([x, y + self.margin])
        if goal is not None and abs(pos[0] - goal[0]) > 0.02:
            return np.array([float(goal[0]), float(pos[1])])  # slide along above the last row first
        return np.array([float(pos[0]), GOAL_Y + 0.05])
