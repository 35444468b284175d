"""BESO: a score-based diffusion policy with classifier-free goal guidance (Reuss et al. 2023).

"Goal-Conditioned Imitation Learning using Score-based Diffusion Policies" (RSS 2023, survey row #51).
The policy denoises an action (or a chunk of actions) conditioned on a window of past observations
and, when the observation is a dict with a goal entry, on the goal. During training the goal is
dropped with probability `goal_drop_prob`, so one network is both the goal-conditioned and the
goal-free policy; at rollout classifier-free guidance (Ho & Salimans 2022) mixes the two:
D = D_uncond + guidance (D_cond - D_uncond).

Acting draws the initial noise of each denoising chain: that noise is what lets the policy commit to
one of several demonstrated behaviours instead of their average. With `deterministic=True` the noise
comes from a generator carried in the state and seeded by `reset`, so a freshly built or loaded
policy reproduces the same actions; `deterministic=False` uses torch's global generator.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from mimetic.nn.diffusion import (
    SAMPLERS,
    SIGMA_DATA,
    MLPDenoiser,
    TransformerDenoiser,
    denoising_loss,
    exponential_schedule,
    precondition,
    sample,
    sample_log_logistic,
)
from mimetic.policies.config import PolicyConfig
from mimetic.policies.layout import ObsLayout
from mimetic.policies.learned import POLICIES, TorchPolicy


@dataclass
class DiffusionConfig:
    """BESO's model and sampler settings (saved in the policy's JSON; sampler fields can change at eval)."""

    denoiser: str = "transformer"
    """"transformer" (BESO's DiffusionGPT, sized by `PolicyConfig.d_model/num_heads/num_layers`) or "mlp"
    (sized by `PolicyConfig.hidden_sizes`), the faster option."""
    obs_window: int = 5
    """Past observations the denoiser sees: BESO block push `window_size: 5`. The window is padded at an
    episode's start by repeating its first observation, in training and at rollout alike."""
    action_chunk: int = 1
    """Actions denoised at once and executed open loop before sampling again; BESO predicts one (1)."""
    goal_key: str = "desired_goal"
    """Dict-observation entry that is the goal (gymnasium-robotics convention); absent: no goal conditioning."""
    goal_drop_prob: float = 0.1
    """Probability of dropping the goal in training: BESO `cond_mask_prob: 0.1`."""
    guidance: float = 1.0
    """Classifier-free guidance weight lambda: 1 is the goal-conditioned policy, 0 the goal-free one
    (BESO's `evaluate_*.yaml` default `cond_lambda: 1`; its block-push training config uses 2)."""
    steps: int = 3
    """Denoising steps per action: BESO `n_timesteps: 3`."""
    sampler: str = "ddim"
    """"ddim" (DPM-Solver-1, BESO's `sampler_type: ddim`), "euler" or "heun"."""
    sigma_data: float = SIGMA_DATA
    """EDM's data std in the preconditioning: BESO `sigma_data: 0.5`."""
    sigma_min: float = 0.05
    """Smallest noise level of training and sampling: BESO block push `sigma_min: 0.05`."""
    sigma_max: float = 1.0
    """Largest noise level, also the std of the initial noise: BESO `sigma_max: 1`."""
    sigma_scale: float = 0.5
    """Scale of the log-logistic training distribution of ln sigma (location ln sigma_data): BESO."""
    seed: int = 0
    """Seed of the sampling noise when acting with `deterministic=True`."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DiffusionConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown diffusion config fields {unknown}; valid: {sorted(known)}")
        return cls(**data)

    def check(self) -> None:
        if self.denoiser not in ("mlp", "transformer"):
            raise ValueError(f"unknown denoiser '{self.denoiser}'; valid choices: mlp, transformer")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler '{self.sampler}'; valid choices: {', '.join(SAMPLERS)}")
        if self.steps < 1 or self.obs_window < 1 or self.action_chunk < 1:
            raise ValueError("steps, obs_window and action_chunk must be at least 1")


@POLICIES.register("beso")
class BesoPolicy(TorchPolicy):
    """BESO (see the module docstring). Box actions only.

    `loss(batch)` takes raw "obs" (B, D) or windows (B, W, D) with the newest last, and "acts"
    (B, A) or chunks (B, K, A) with the current action first; a single row stands for a window or
    chunk that repeats it.
    """

    name = "beso"
    goal_cols: torch.Tensor
    state_cols: torch.Tensor

    def __init__(
        self,
        layout: ObsLayout,
        action_space: spaces.Space[Any],
        config: PolicyConfig,
        diffusion: DiffusionConfig | None = None,
    ) -> None:
        super().__init__(layout, action_space, config)
        self.diffusion = diffusion or DiffusionConfig()
        self.diffusion.check()
        # Column indices of the goal and of the state in the flattened observation.
        goal_cols: list[int] = []
        state_cols: list[int] = []
        offset = 0
        for path, shape in layout.leaves:
            size = int(np.prod(shape, dtype=np.int64))
            (goal_cols if path == self.diffusion.goal_key else state_cols).extend(
                range(offset, offset + size)
            )
            offset += size
        self.register_buffer("goal_cols", torch.tensor(goal_cols, dtype=torch.long), persistent=False)
        self.register_buffer("state_cols", torch.tensor(state_cols, dtype=torch.long), persistent=False)
        self.goal_dim, self.state_dim = len(goal_cols), len(state_cols)
        d = self.diffusion
        if d.denoiser == "mlp":
            self.denoiser: MLPDenoiser | TransformerDenoiser = MLPDenoiser(
                d.action_chunk * self.act_dim,
                d.obs_window * self.state_dim,
                self.goal_dim,
                config.hidden_sizes,
                config.activation,
            )
        else:
            self.denoiser = TransformerDenoiser(
                self.act_dim,
                d.action_chunk,
                self.state_dim,
                d.obs_window,
                self.goal_dim,
                config.d_model,
                config.num_heads,
                config.num_layers,
                config.dropout,
            )
        self._resets = 0
        self._schedule: tuple[tuple[int, float, float], torch.Tensor] | None = None

    @classmethod
    def from_description(
        cls, layout: ObsLayout, action_space: spaces.Space[Any], config: PolicyConfig, meta: dict[str, Any]
    ) -> BesoPolicy:
        return cls(layout, action_space, config, DiffusionConfig.from_json(meta.get("diffusion", {})))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "diffusion": self.diffusion.to_json()}

    def fit_normalizers(self, obs: np.ndarray, acts: np.ndarray) -> None:
        """Standardize observations; scale actions to standard deviation `sigma_data` per dimension,
        the data spread EDM's preconditioning assumes (Karras et al. 2022, section 5), so that the initial
        noise N(0, sigma_max^2) covers the actions the way the sampler expects."""
        super().fit_normalizers(obs, acts)
        with torch.no_grad():
            self.act_norm.scale.div_(self.diffusion.sigma_data)

    # ---- the denoiser ----------------------------------------------------------------------
    def _split(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Normalized (B, W, D) -> state window (B, W, S) and the newest goal (B, G), or None."""
        state = obs.index_select(-1, self.state_cols)
        goal = obs[:, -1].index_select(-1, self.goal_cols) if self.goal_dim else None
        return state, goal

    def _denoise(
        self, x: torch.Tensor, sigma: torch.Tensor, state: torch.Tensor, goal: torch.Tensor | None
    ) -> torch.Tensor:
        def network(x_in: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
            return self.denoiser(x_in, c_noise, state, goal)

        return precondition(network, x, sigma, self.diffusion.sigma_data)

    @staticmethod
    def _with_keep(goal: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The goal zeroed where dropped, with the keep flag as an extra last column."""
        return torch.cat([goal * keep[:, None], keep[:, None]], dim=1)

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        d = self.diffusion
        obs, acts = batch["obs"], batch["acts"]
        if obs.dim() == 2:
            obs = obs[:, None].expand(-1, d.obs_window, -1)
        if acts.dim() == 2:
            acts = acts[:, None].expand(-1, d.action_chunk, -1)
        state, goal = self._split(self.obs_norm.normalize(obs))
        actions = self.targets(acts.reshape(-1, self.act_dim)).view(acts.shape[0], d.action_chunk, -1)
        n = actions.shape[0]
        if goal is not None:
            # Classifier-free guidance training: drop the goal with probability goal_drop_prob (BESO).
            keep = (torch.rand(n) >= d.goal_drop_prob).to(goal.dtype)
            goal = self._with_keep(goal, keep)
        sigma = sample_log_logistic(
            n, float(np.log(d.sigma_data)), d.sigma_scale, d.sigma_min, d.sigma_max
        ).to(actions.dtype)
        noise = torch.randn_like(actions)

        def network(x_in: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
            return self.denoiser(x_in, c_noise, state, goal)

        return denoising_loss(network, actions, sigma, noise, d.sigma_data).mean()

    def guided_denoiser(self, state: torch.Tensor, goal: torch.Tensor | None, guidance: float) -> Any:
        """D(x; sigma) for normalized `state` windows and `goal`, with classifier-free guidance `guidance`."""
        if goal is None:
            return lambda x, sigma: self._denoise(x, sigma, state, None)
        n = goal.shape[0]
        cond = self._with_keep(goal, torch.ones(n))
        uncond = self._with_keep(goal, torch.zeros(n))
        if guidance == 1.0:
            return lambda x, sigma: self._denoise(x, sigma, state, cond)
        if guidance == 0.0:
            return lambda x, sigma: self._denoise(x, sigma, state, uncond)

        def guided(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
            both = self._denoise(
                torch.cat([x, x]),
                torch.cat([sigma, sigma]),
                torch.cat([state, state]),
                torch.cat([cond, uncond]),
            )
            d_cond, d_uncond = both[:n], both[n:]
            return d_uncond + guidance * (d_cond - d_uncond)

        return guided

    # ---- acting ----------------------------------------------------------------------------
    def reset(self, batch_size: int) -> dict[str, Any]:
        """A fresh window, an empty action queue and a noise generator seeded from `seed` and a reset counter."""
        generator = torch.Generator().manual_seed(self.diffusion.seed * 1_000_003 + self._resets)
        self._resets += 1
        return {"window": None, "queue": None, "generator": generator}

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        if self.training:
            return super().act(obs, state, deterministic=deterministic)
        with torch.no_grad():  # already in eval mode: skip the per-call mode switch (it walks every module)
            return self._act(obs, state, deterministic)

    def _act(self, obs: Any, state: Any, deterministic: bool) -> tuple[np.ndarray, Any]:
        d = self.diffusion
        x = self._obs_tensor(obs)
        if state is None:
            state = self.reset(x.shape[0])
        window = state["window"]
        if window is None:
            window = x[:, None].expand(-1, d.obs_window, -1)
        else:
            window = torch.cat([window[:, 1:], x[:, None]], dim=1)
        queue = state["queue"]
        if queue is None or queue.shape[1] == 0:
            queue = self.sample_actions(window, state["generator"] if deterministic else None)
        action, queue = queue[:, 0], queue[:, 1:]
        new_state = {"window": window, "queue": queue, "generator": state["generator"]}
        return self.to_env_actions(action), new_state

    def sample_actions(self, window: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """A normalized action chunk (B, K, A) for normalized observation windows (B, W, D)."""
        d = self.diffusion
        state, goal = self._split(window)
        denoise = self.guided_denoiser(state, goal, d.guidance)
        key = (d.steps, d.sigma_max, d.sigma_min)
        if self._schedule is None or self._schedule[0] != key:
            self._schedule = (key, exponential_schedule(d.steps, d.sigma_max, d.sigma_min))
        sigmas = self._schedule[1]
        shape = (window.shape[0], d.action_chunk, self.act_dim)
        return sample(denoise, shape, sigmas, d.sampler, generator)
