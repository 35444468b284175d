"""Scripted experts: hand-written controllers that need no training and no download."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from mimetic.envs.avoiding import AvoidingExpert
from mimetic.registry import Registry

SCRIPTED_EXPERTS: Registry[type[Any]] = Registry("scripted expert")


@SCRIPTED_EXPERTS.register("CartPole-v1")
class CartPoleExpert:
    """Linear state feedback: push toward the side the pole is falling to.

    The sign of a weighted sum of (x, x_dot, theta, theta_dot) picks the action. The pole terms
    balance it; the small cart terms keep the cart near the centre so the episode is not lost
    at the track edge. It reaches the 500-step cap from every start state we tried (seeds 0-99).
    """

    gains = np.array([0.1, 0.5, 1.0, 0.5])

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        obs = np.asarray(obs, dtype=np.float64)
        return (obs @ self.gains > 0).astype(np.int64), state

    def reset(self, batch_size: int) -> Any:
        return None


@SCRIPTED_EXPERTS.register("MountainCar-v0")
class MountainCarExpert:
    """Push in the direction of motion (accelerate left when moving left, right otherwise).

    This pumps energy into the car every step, so it rocks higher each swing until it crests the
    right hill: about -120 return (seeds 0-19), where a random policy almost never finishes (-200).
    """

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        velocity = np.asarray(obs)[:, 1]
        return np.where(velocity >= 0, 2, 0).astype(np.int64), state

    def reset(self, batch_size: int) -> Any:
        return None


@SCRIPTED_EXPERTS.register("Acrobot-v1")
class AcrobotExpert:
    """Bang-bang torque on the second joint, following the sign of (d_theta2 - 0.5 * d_theta1).

    Torque in the direction the second link already swings (relative to the first) adds energy
    to the chain, which swings the tip above the bar in about 77 steps on average (seeds 0-9;
    random play: -500). The 0.5 weight was chosen by a small grid search over the two velocities.
    """

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        obs = np.asarray(obs)
        swing = obs[:, 5] - 0.5 * obs[:, 4]
        return np.where(swing > 0, 2, 0).astype(np.int64), state

    def reset(self, batch_size: int) -> Any:
        return None


@SCRIPTED_EXPERTS.register("Pendulum-v1")
class PendulumExpert:
    """Energy pumping far from the top, a PD stabilizer near it.

    Gymnasium's pendulum obeys theta'' = 3g/(2l) sin(theta) + 3u/(ml^2) with g = 10, m = l = 1, so
    E = theta'^2 / 2 + 15 cos(theta) is conserved without torque and equals 15 at rest upright.
    Away from the top (cos theta <= 0.85) the torque pushes along theta' in proportion to the
    missing energy (Astrom & Furuta 2000, "Swinging up a pendulum by energy control"); near the
    top a PD law u = -(10 theta + 2 theta') holds it. About -137 return (seeds 0-19).
    """

    energy_gain = 1.0
    kp, kd = 10.0, 2.0
    max_torque = 2.0

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        obs = np.asarray(obs, dtype=np.float64)
        cos, sin, vel = obs[:, 0], obs[:, 1], obs[:, 2]
        theta = np.arctan2(sin, cos)
        energy = 0.5 * vel**2 + 15.0 * cos
        direction = np.where(vel >= 0, 1.0, -1.0)
        pump = self.energy_gain * (15.0 - energy) * direction
        hold = -(self.kp * theta + self.kd * vel)
        torque = np.where(cos > 0.85, hold, pump)
        return np.clip(torque, -self.max_torque, self.max_torque)[:, None].astype(np.float32), state

    def reset(self, batch_size: int) -> Any:
        return None


SCRIPTED_EXPERTS.register("mimetic/Avoiding-v0")(AvoidingExpert)
SCRIPTED_EXPERTS.register("mimetic/AvoidingGoal-v0")(AvoidingExpert)


def scripted_expert(env_id: str, seed: int = 0) -> Any:
    """The scripted expert for `env_id`; the error lists the envs that have one.

    `seed` seeds experts that make random choices of their own (the multimodal Avoiding expert
    draws a behaviour per episode); deterministic controllers ignore it.
    """
    cls = SCRIPTED_EXPERTS.get(env_id)
    return cls(seed=seed) if "seed" in inspect.signature(cls).parameters else cls()
