"""The expert's Q-function, which RLIF's value-based intervener needs, fitted by policy evaluation.

The zoo ships actors only (PPO's value head and SAC's critics are dropped on export), so the
expert's Q^{pi_E}(s, a) is estimated here by fitted Q evaluation (FQE; Le, Voloshin and Yue 2019,
"Batch Policy Learning under Constraints"): roll the expert out with exploration so that
non-expert actions are covered, then regress Q(s, a) on r + gamma * Q_target(s', pi_E(s')) with a
periodically copied target network. RLIF (Luo et al. 2023) compares actions with a "ground truth"
agent's critic; this is that critic for whichever policy is passed as the reference.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.nn.mlp import mlp
from mimetic.rl.replay import ReplayBuffer
from mimetic.rl.rollout import VecCollector


@dataclass
class ExpertQConfig:
    """FQE settings; sized so that a classic-control critic fits in a few seconds on one core."""

    env_steps: int = 10_000
    """Transitions of the exploring expert to evaluate on."""
    num_envs: int = 8
    explore: float = 0.3
    """Discrete: probability of a uniformly random action; Box: Gaussian std in half-range units."""
    updates: int = 4_000
    """Gradient steps."""
    target_every: int = 40
    """Steps between target-network copies: each block is one FQE iteration (Le et al. 2019)."""
    batch_size: int = 256
    learning_rate: float = 1e-3
    gamma: float = 0.99
    """Discount of the evaluated return (SAC's default, Haarnoja et al. 2018)."""
    hidden_sizes: tuple[int, ...] = (128, 128)


class ExpertQ:
    """Q^{pi_E}: `q(obs, acts)` -> values, shape (batch,). Discrete nets output one value per action."""

    def __init__(self, net: nn.Module, action_space: gym.Space[Any], scale: float) -> None:
        self.net = net.eval()
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        self.scale = scale

    @torch.no_grad()
    def __call__(self, obs: np.ndarray, acts: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(len(obs), -1))
        if self.discrete:
            index = torch.as_tensor(np.asarray(acts).reshape(-1).astype(np.int64))
            q = self.net(x).gather(1, index[:, None]).squeeze(1)
        else:
            a = torch.as_tensor(np.asarray(acts, dtype=np.float32).reshape(len(obs), -1))
            q = self.net(torch.cat([x, a], 1)).squeeze(1)
        return np.asarray(q.numpy(), dtype=np.float64) * self.scale


def fit_expert_q(expert: Any, env_id: str, config: ExpertQConfig | None = None, seed: int = 0) -> ExpertQ:
    """Estimate the Q-function of `expert` in `env_id` by FQE on its exploring rollouts."""
    cfg = config or ExpertQConfig()
    collector = VecCollector(env_id, cfg.num_envs, seed)
    space = collector.single_action_space
    rng = np.random.default_rng(seed)
    replay = ReplayBuffer(cfg.env_steps + cfg.num_envs)
    next_expert_acts: list[np.ndarray] = []
    while collector.total_steps < cfg.env_steps:
        action, _ = expert.act(collector.obs, deterministic=True)
        action = _explore(np.asarray(action), space, cfg.explore, rng)
        obs, acts, rews, next_obs, terminated, _ = collector.step(action)
        replay.add(obs, acts, rews, next_obs, terminated)
        next_expert_acts.append(np.asarray(expert.act(next_obs, deterministic=True)[0]))
    collector.close()
    stored = replay.state_dict()  # the rows in the order they were added (the buffer never wrapped)
    obs_all = torch.as_tensor(stored["data/obs"][: replay.size], dtype=torch.float32)
    acts_all = stored["data/acts"][: replay.size]
    rews_all = torch.as_tensor(stored["data/rews"][: replay.size], dtype=torch.float32)
    next_all = torch.as_tensor(stored["data/next_obs"][: replay.size], dtype=torch.float32)
    done_all = torch.as_tensor(stored["data/terminals"][: replay.size], dtype=torch.float32)
    next_acts = np.concatenate(next_expert_acts)[: replay.size]
    # regress on rewards divided by their scale so that targets stay O(1 / (1 - gamma)) at worst
    scale = float(max(rews_all.abs().max().item(), 1e-6))
    rews_all = rews_all / scale

    obs_dim = obs_all.shape[1]
    discrete = isinstance(space, gym.spaces.Discrete)
    torch.manual_seed(seed)
    if discrete:
        assert isinstance(space, gym.spaces.Discrete)
        net = mlp(obs_dim, cfg.hidden_sizes, int(space.n))
        acts_t = torch.as_tensor(acts_all.reshape(-1).astype(np.int64))
        next_acts_t = torch.as_tensor(next_acts.reshape(-1).astype(np.int64))
    else:
        acts_t = torch.as_tensor(acts_all.reshape(len(acts_all), -1), dtype=torch.float32)
        next_acts_t = torch.as_tensor(next_acts.reshape(len(next_acts), -1), dtype=torch.float32)
        net = mlp(obs_dim + acts_t.shape[1], cfg.hidden_sizes, 1)
    target = copy.deepcopy(net).requires_grad_(False)
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)

    def q_of(model: nn.Module, o: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        if discrete:
            return model(o).gather(1, a[:, None]).squeeze(1)
        return model(torch.cat([o, a], 1)).squeeze(1)

    for step in range(cfg.updates):
        if step % cfg.target_every == 0:
            target.load_state_dict(net.state_dict())
        index = torch.as_tensor(rng.integers(0, len(obs_all), cfg.batch_size))
        with torch.no_grad():
            next_q = q_of(target, next_all[index], next_acts_t[index])
            y = rews_all[index] + cfg.gamma * (1.0 - done_all[index]) * next_q
        loss = nn.functional.mse_loss(q_of(net, obs_all[index], acts_t[index]), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return ExpertQ(net, space, scale)


def _explore(
    action: np.ndarray, space: gym.Space[Any], amount: float, rng: np.random.Generator
) -> np.ndarray:
    if isinstance(space, gym.spaces.Discrete):
        flip = rng.random(action.shape) < amount
        return np.where(flip, rng.integers(0, int(space.n), size=action.shape), action).astype(np.int64)
    assert isinstance(space, gym.spaces.Box)
    half = (space.high - space.low) / 2.0
    noisy = action + rng.normal(0.0, amount, size=action.shape) * half
    return np.clip(noisy, space.low, space.high).astype(np.float32)
