"""iRDPG: the imitative recurrent deterministic policy gradient agent of QTNet (spec: ../shared/specs/qtnet.md).

Liu et al., "Adaptive Quantitative Trading: An Imitative Deep Reinforcement Learning Approach"
(AAAI 2020), whose design QTNet (arXiv 2312.15730) paraphrases, combines:

- RDPG (Heess et al. 2015, "Memory-based control with recurrent neural networks"): a GRU encodes
  the history h_t = GRU(h_{t-1}, [o_t, a_{t-1}]) of the partially observed market; a deterministic
  actor mu(h_t) and a critic Q(h_t, a) sit on top. Whole episodes (trading days) are replayed, and
  the GRUs are trained with truncated backpropagation through time.
- a demonstration buffer (DDPGfD, Vecerik et al. 2017): days of Dual Thrust trading are kept in the
  replay forever, and every day is sampled by priority p_i = delta^2 + lambda3 |grad_a Q|^2 + eps
  (+ eps_D for demonstrations), with importance weights on the critic loss (Schaul et al. 2016).
- behaviour cloning with a Q-filter (Nair et al. 2018, "Overcoming Exploration in Reinforcement
  Learning with Demonstrations") toward the hindsight ("prophetic") teacher, which uses the day's
  future and so is only a training target: actor loss = -lambda1 J + lambda2 L_BC, where
  L_BC = sum ||mu(h_t) - a*_t||^2 1[Q(h_t, a*_t) > Q(h_t, mu(h_t))].

The reward is the env's differential Sharpe ratio (Moody & Saffell 1998). `VARIANTS` switches the
two additions on and off for the ablation (RDPG, RDPG-DB, RDPG-BC, iRDPG).

The `Trainer` owns the loop: one trainer step is one gradient update of the critic (the actor every
`actor_every` steps), and a new day is played every `updates_per_day` steps. Every random draw of
collection comes from the trainer's checkpointed generator, and the replay is checkpointed, so a
resumed run is bitwise the run that was never killed.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from mimetic.nn.ensemble import FlatAdam, flatten_parameters
from mimetic.nn.mlp import mlp
from mimetic.trading.env import EPISODE_PROFIT, POSITION, TradingConfig, TradingEnv
from mimetic.trading.irdpg_replay import Day, SequenceBatch, SequenceReplay
from mimetic.trading.strategies import DualThrust, actions_from_positions, hindsight_positions

VARIANTS: dict[str, tuple[bool, bool]] = {
    # name: (demonstration buffer with prioritized replay, Q-filtered BC toward the hindsight teacher)
    "rdpg": (False, False),
    "rdpg-db": (True, False),
    "rdpg-bc": (False, True),
    "irdpg": (True, True),
}
POLICY_FORMAT_VERSION = 1


@dataclass
class IRDPGConfig:
    """iRDPG hyperparameters. "Reimpl." marks the values the spec takes from the two reimplementations
    of Liu et al. 2020; the others cite their source or say they are ours."""

    variant: str = "irdpg"
    """rdpg | rdpg-db (+ demonstration buffer) | rdpg-bc (+ Q-filtered BC) | irdpg (both), spec's ablations."""
    hidden_size: int = 64
    """GRU width (ours: the reimplementations do not fix it; 64 keeps an update near 10 ms on one core)."""
    gru_layers: int = 2
    """Stacked GRU layers (reimpl.: a 2-layer GRU)."""
    head_hidden: int = 64
    """One hidden layer in the actor and critic heads on h_t (ours)."""
    gamma: float = 0.95
    """Discount (reimpl.: 0.95)."""
    tau: float = 0.002
    """Soft target update rate (reimpl.: 0.002)."""
    actor_lr: float = 1e-4
    """Adam step for the actor (DDPG, Lillicrap et al. 2016: 1e-4)."""
    critic_lr: float = 1e-3
    """Adam step for the critic (DDPG, Lillicrap et al. 2016: 1e-3)."""
    batch_days: int = 32
    """Days (sequences) per minibatch (ours: 32 costs 1.2x the time of 16 per GRU update on one core)."""
    segment: int = 16
    """Truncated BPTT length: gradients flow through at most this many steps (reimpl.: 16)."""
    actor_every: int = 3
    """One actor update every this many critic updates (reimpl.: 3)."""
    warmup_days: int = 100
    """Days played with the untrained actor plus noise before learning starts (reimpl.: 100 warm-up episodes)."""
    updates_per_day: int = 4
    """Gradient updates per newly played day (ours; the replay is small, so several updates per day)."""
    replay_days: int = 2_000
    """Capacity of the agent's own days; demonstration days are stored apart and never evicted (ours)."""
    ou_theta: float = 0.15
    """Ornstein-Uhlenbeck exploration noise, mean reversion (Lillicrap et al. 2016: 0.15)."""
    ou_sigma: float = 0.2
    """OU noise scale (Lillicrap et al. 2016: 0.2), on actions in [0, 1]."""
    demo_days: int = 0
    """Dual Thrust demonstration days (0: every training day, evenly spaced otherwise) (ours)."""
    per_alpha: float = 0.6
    """Priority exponent alpha in P(i) ~ p_i^alpha (Schaul et al. 2016, proportional variant: 0.6)."""
    per_beta: float = 0.4
    """Importance-weight exponent beta, held fixed (Schaul et al. 2016 start at 0.4)."""
    lambda3: float = 1.0
    """Weight of |grad_a Q|^2 in the priority (Vecerik et al. 2017: 1.0)."""
    priority_eps: float = 1e-3
    """eps in the priority, keeps every day drawable (Vecerik et al. 2017: 0.001)."""
    priority_eps_demo: float = 0.1
    """eps_D, the demonstrations' priority bonus (ours; Vecerik et al. 2017 leave it free)."""
    lambda1: float = 1.0
    """Weight of the policy gradient term J in the actor loss (Nair et al. 2018 use 1e-3 against a BC
    weight of 1/N_D; only the ratio matters, see lambda2)."""
    lambda2: float = 1.0
    """Weight of the Q-filtered BC loss toward the hindsight teacher (ours: equal weights)."""
    reward_clip: float = 5.0
    """Clip rewards to [-reward_clip, reward_clip] in the critic's targets (ours: the differential Sharpe
    ratio divides by a moving variance that is near zero at a day's first steps, and a flat-then-moving
    day gives rewards of 1e4; random play stays within +-5)."""
    grad_clip: float = 10.0
    """Clip each network's gradient norm (ours: the DSR reward has rare large spikes)."""

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant '{self.variant}'; valid choices: {', '.join(VARIANTS)}")
        for name in (
            "hidden_size",
            "gru_layers",
            "batch_days",
            "actor_every",
            "updates_per_day",
            "replay_days",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.warmup_days < 1:
            raise ValueError(f"warmup_days must be >= 1, got {self.warmup_days}")

    @property
    def use_demos(self) -> bool:
        return VARIANTS[self.variant][0]

    @property
    def use_bc(self) -> bool:
        return VARIANTS[self.variant][1]


# ------------------------------------------------------------------------------------- networks


def unroll(gru: nn.GRU, x: torch.Tensor, state: torch.Tensor | None, segment: int) -> torch.Tensor:
    """Run `gru` over (B, T, in) from `state` (zeros: the start of a day), cutting gradients every
    `segment` steps: truncated BPTT (Williams & Peng 1990), as RDPG's reimplementations train it."""
    if segment <= 0 or x.shape[1] <= segment:
        return gru(x, state)[0]
    outputs = []
    for start in range(0, x.shape[1], segment):
        out, state = gru(x[:, start : start + segment], state)
        state = state.detach()
        outputs.append(out)
    return torch.cat(outputs, dim=1)


class RecurrentActor(nn.Module):
    """mu(h_t) in [0, 1]^2 = [p_long, p_short] on h_t = GRU(h_{t-1}, [o_t, a_{t-1}])."""

    def __init__(self, in_dim: int, hidden_size: int, layers: int, head_hidden: int) -> None:
        super().__init__()
        self.gru = nn.GRU(in_dim, hidden_size, layers, batch_first=True)
        self.head = mlp(hidden_size, (head_hidden,), 2)
        self.head_hidden = head_hidden

    def action(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(h))


class RecurrentCritic(nn.Module):
    """Q(h_t, a) on its own GRU history h_t = GRU(h_{t-1}, [o_t, a_{t-1}]) (RDPG keeps actor and critic apart)."""

    def __init__(self, in_dim: int, hidden_size: int, layers: int, head_hidden: int) -> None:
        super().__init__()
        self.gru = nn.GRU(in_dim, hidden_size, layers, batch_first=True)
        self.head = mlp(hidden_size + 2, (head_hidden,), 1)

    def q(self, h: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([h, action], dim=-1)).squeeze(-1)


def q_filter_mask(q_teacher: torch.Tensor, q_actor: torch.Tensor) -> torch.Tensor:
    """Nair et al. 2018's Q-filter: clone the teacher only where the critic rates its action higher,
    1[Q(h, a*) > Q(h, mu(h))]; samples with Q(h, a*) <= Q(h, mu(h)) are masked out."""
    return (q_teacher > q_actor).to(q_actor.dtype)


def soft_update(target: torch.Tensor, source: torch.Tensor, tau: float) -> None:
    """theta' <- tau theta + (1 - tau) theta' on flat parameter buffers (Lillicrap et al. 2016)."""
    target.lerp_(source, tau)


# ---------------------------------------------------------------------------------- normalizer


def observation_scale(env: TradingEnv) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std from the training split's market features (its own past only).

    The position column stays as it is (-1, 0, 1); the episode profit is scaled by the spread of
    close / session open - 1 over the training days.
    """
    market = np.asarray(env.view.market, dtype=np.float64)
    mean = market.mean(axis=0)
    std = market.std(axis=0)
    bars = env.view.bars
    day_open = np.repeat(bars.close[bars.day_bounds[:-1]], np.diff(bars.day_bounds))
    mean[POSITION], std[POSITION] = 0.0, 1.0
    mean[EPISODE_PROFIT] = 0.0
    std[EPISODE_PROFIT] = float(np.std(bars.close / day_open - 1.0))
    std = np.where(std > 1e-12, std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


# --------------------------------------------------------------------------------------- policy


class IRDPGPolicy:
    """The actor as a recurrent `Policy`: state = (GRU hidden, previous action), reset at each day.

    `act(obs, state)` takes a batch of raw env observations; `reset(batch)` gives the state of a day's
    start (zero hidden state, previous action [0, 0], the flat position the env starts from).
    """

    def __init__(self, actor: RecurrentActor, obs_mean: np.ndarray, obs_std: np.ndarray) -> None:
        self.actor = actor
        self.obs_mean = torch.as_tensor(obs_mean, dtype=torch.float32)
        self.obs_std = torch.as_tensor(obs_std, dtype=torch.float32)

    def normalize(self, obs: torch.Tensor) -> torch.Tensor:
        return ((obs - self.obs_mean) / self.obs_std).clamp(-10.0, 10.0)

    def reset(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        gru = self.actor.gru
        return torch.zeros(gru.num_layers, batch_size, gru.hidden_size), torch.zeros(batch_size, 2)

    @torch.no_grad()
    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        obs_t = torch.as_tensor(np.asarray(obs, dtype=np.float32))
        if state is None:
            state = self.reset(obs_t.shape[0])
        hidden, prev = state
        x = torch.cat([self.normalize(obs_t), prev], dim=-1).unsqueeze(1)
        out, hidden = self.actor.gru(x, hidden)
        action = self.actor.action(out[:, 0])
        return action.numpy(), (hidden, action)

    def save(self, directory: str | Path) -> Path:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        tensors = {f"actor/{k}": v.detach().contiguous() for k, v in self.actor.state_dict().items()}
        tensors["obs_mean"] = self.obs_mean.contiguous()
        tensors["obs_std"] = self.obs_std.contiguous()
        save_file(tensors, str(out / "policy.safetensors"))
        gru = self.actor.gru
        config = {
            "format_version": POLICY_FORMAT_VERSION,
            "kind": "irdpg-actor",
            "obs_dim": int(self.obs_mean.shape[0]),
            "hidden_size": gru.hidden_size,
            "gru_layers": gru.num_layers,
            "head_hidden": self.actor.head_hidden,
        }
        (out / "policy.json").write_text(json.dumps(config, indent=2) + "\n")
        return out


def load_policy(directory: str | Path) -> IRDPGPolicy:
    """Rebuild a saved `IRDPGPolicy` (safetensors + JSON, no pickle)."""
    path = Path(directory)
    config_path = path / "policy.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{path}: no policy.json, not a saved iRDPG policy")
    config = json.loads(config_path.read_text())
    if config.get("kind") != "irdpg-actor" or config.get("format_version") != POLICY_FORMAT_VERSION:
        raise ValueError(f"{config_path}: not an iRDPG policy of format {POLICY_FORMAT_VERSION}")
    actor = RecurrentActor(
        config["obs_dim"] + 2, config["hidden_size"], config["gru_layers"], config["head_hidden"]
    )
    tensors = load_file(str(path / "policy.safetensors"))
    actor.load_state_dict({k[len("actor/") :]: v for k, v in tensors.items() if k.startswith("actor/")})
    return IRDPGPolicy(actor, tensors["obs_mean"].numpy(), tensors["obs_std"].numpy())


# -------------------------------------------------------------------------------------- learner


class _LearnerState(nn.Module):
    """Exposes the replay and the learner's counters to checkpoints as tensors (no pickle)."""

    def __init__(self, learner: IRDPGLearner) -> None:
        super().__init__()
        self.learner = learner

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        out = {f"replay.{k}": torch.as_tensor(v) for k, v in self.learner.replay.state_dict().items()}
        learner = self.learner
        out["counters"] = torch.tensor(
            [learner.updates, learner.days_played, learner.env_steps], dtype=torch.int64
        )
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        replay = {k[len("replay.") :]: v.numpy() for k, v in state_dict.items() if k.startswith("replay.")}
        self.learner.replay.load_state_dict(replay, self.learner.replay_day)
        self.learner.updates, self.learner.days_played, self.learner.env_steps = (
            int(v) for v in state_dict["counters"]
        )
        return None


class IRDPGLearner:
    """RDPG with the optional demonstration buffer and Q-filtered BC, as a `Trainer` learner."""

    def __init__(self, config: IRDPGConfig, trading: TradingConfig) -> None:
        self.config = config
        self.env = TradingEnv(trading)
        view = self.env.view
        # LOOK-AHEAD: the teacher's actions, used as BC targets during training only.
        self.teacher_actions = actions_from_positions(hindsight_positions(view.close, view.episodes))
        obs_dim = int(self.env.observation_space.shape[0])  # type: ignore[index]
        self.obs_mean, self.obs_std = observation_scale(self.env)
        sizes = (obs_dim + 2, config.hidden_size, config.gru_layers, config.head_hidden)
        self.actor = RecurrentActor(*sizes)
        self.critic = RecurrentCritic(*sizes)
        self.target_actor = copy.deepcopy(self.actor).requires_grad_(False)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        # flat buffers: one fused Adam call per network and one lerp per soft target update
        self._actor_params, actor_grad = flatten_parameters(self.actor)
        self._critic_params, critic_grad = flatten_parameters(self.critic)
        self._target_actor_params, _ = flatten_parameters(self.target_actor, with_grad=False)
        self._target_critic_params, _ = flatten_parameters(self.target_critic, with_grad=False)
        assert actor_grad is not None and critic_grad is not None
        self._actor_grad, self._critic_grad = actor_grad, critic_grad
        self.actor_opt = FlatAdam(self._actor_params, lr=config.actor_lr)
        self.critic_opt = FlatAdam(self._critic_params, lr=config.critic_lr)
        self.policy = IRDPGPolicy(self.actor, self.obs_mean, self.obs_std)
        self._obs_mean_t = torch.as_tensor(self.obs_mean)
        self._obs_std_t = torch.as_tensor(self.obs_std)

        lengths = view.episodes[:, 1] - view.episodes[:, 0]
        demo_episodes = self._demo_episodes() if config.use_demos else np.zeros(0, dtype=np.int64)
        prioritized = config.use_demos
        self.replay = SequenceReplay(
            config.replay_days,
            len(demo_episodes),
            int(lengths.max()) - 1,
            obs_dim,
            alpha=config.per_alpha if prioritized else 0.0,
            beta=config.per_beta if prioritized else 0.0,
        )
        self.prioritized = prioritized
        dual_thrust = DualThrust()
        for k in demo_episodes:
            self.replay.add_demo(self.play_day(int(k), lambda obs, t: dual_thrust.act(obs[None])[0][0]))
        self.updates = 0
        self.days_played = 0
        self.env_steps = 0  # steps of the agent's own days (demonstrations not counted)
        self._state = _LearnerState(self)

    def _demo_episodes(self) -> np.ndarray:
        n = self.env.num_episodes
        if self.config.demo_days <= 0 or self.config.demo_days >= n:
            return np.arange(n)
        return np.unique(np.linspace(0, n - 1, self.config.demo_days).round().astype(np.int64))

    # ---- playing days -------------------------------------------------------------------------
    def play_day(self, episode: int, choose: Any) -> Day:
        """Play training day `episode` with `choose(obs, t) -> action`; record it with the teacher's actions."""
        env = self.env
        obs, _ = env.reset(options={"episode": episode})
        start = env.bar_index
        observations, actions, rewards = [obs], [], []
        terminated = False
        t = 0
        while not terminated:
            action = np.clip(np.asarray(choose(obs, t), dtype=np.float32), 0.0, 1.0)
            obs, reward, terminated, _, _ = env.step(action)
            observations.append(obs)
            actions.append(action)
            rewards.append(reward)
            t += 1
        steps = len(actions)
        return Day(
            episode=episode,
            obs=np.stack(observations),
            acts=np.stack(actions),
            rews=np.asarray(rewards, dtype=np.float32),
            teacher=self.teacher_actions[start : start + steps],
            terminated=True,
        )

    def replay_day(self, episode: int, actions: np.ndarray, is_demo: bool) -> Day:
        """Re-run a stored day from its actions (the env is deterministic: same obs, same rewards)."""
        return self.play_day(episode, lambda obs, t: actions[t])

    def explore_day(self, rng: np.random.Generator) -> Day:
        """One training day drawn by `rng`, played by the actor plus Ornstein-Uhlenbeck noise
        (Uhlenbeck & Ornstein 1930; DDPG's exploration, Lillicrap et al. 2016) reset at the day's start."""
        cfg = self.config
        episode = int(rng.integers(self.env.num_episodes))
        state = self.policy.reset(1)
        noise = np.zeros(2)

        def choose(obs: np.ndarray, t: int) -> np.ndarray:
            nonlocal state, noise
            action, state = self.policy.act(obs[None], state)
            noise = noise - cfg.ou_theta * noise + cfg.ou_sigma * rng.standard_normal(2)
            executed = np.clip(action[0] + noise, 0.0, 1.0).astype(np.float32)
            # the GRU's next input is the executed action a_{t-1}, not the noiseless one
            state = (state[0], torch.as_tensor(executed)[None])
            return executed

        return self.play_day(episode, choose)

    # ---- the Trainer protocol ------------------------------------------------------------------
    @property
    def counters(self) -> dict[str, int]:
        """Days and env steps of the agent's own play so far, logged exactly on every metrics line."""
        return {"days_played": self.days_played, "env_steps": self.env_steps}

    def sample(self, rng: np.random.Generator) -> SequenceBatch:
        if self.days_played == 0:
            for _ in range(self.config.warmup_days):
                self._add_day(rng)
        elif self.updates % self.config.updates_per_day == 0:
            self._add_day(rng)
        return self.replay.sample(self.config.batch_days, rng)

    def _add_day(self, rng: np.random.Generator) -> None:
        day = self.explore_day(rng)
        self.replay.add(day)
        self.days_played += 1
        self.env_steps += len(day.acts)

    def _inputs(self, batch: SequenceBatch) -> tuple[torch.Tensor, ...]:
        obs = torch.as_tensor(batch.obs)
        obs = ((obs - self._obs_mean_t) / self._obs_std_t).clamp(-10.0, 10.0)
        acts = torch.as_tensor(batch.acts)
        prev = torch.cat(
            [torch.zeros(acts.shape[0], 1, 2), acts], dim=1
        )  # a_{t-1}; [0, 0] at the day's start
        x = torch.cat([obs, prev], dim=-1)
        return (
            x,
            acts,
            torch.as_tensor(batch.rews).clamp(-self.config.reward_clip, self.config.reward_clip),
            torch.as_tensor(batch.dones),
            torch.as_tensor(batch.valid),
            torch.as_tensor(batch.teacher),
            torch.as_tensor(batch.weights),
        )

    def update(self, batch: SequenceBatch) -> dict[str, float]:
        cfg = self.config
        x, acts, rews, dones, valid, teacher, weights = self._inputs(batch)
        steps = acts.shape[1]
        count = valid.sum().clamp(min=1.0)

        with torch.no_grad():
            h_target_actor = self.target_actor.gru(x)[0][:, 1:]
            h_target_critic = self.target_critic.gru(x)[0][:, 1:]
            next_q = self.target_critic.q(h_target_critic, self.target_actor.action(h_target_actor))
            target = rews + cfg.gamma * (1.0 - dones) * next_q

        h_now = unroll(self.critic.gru, x[:, :steps], None, cfg.segment)
        acts_in = acts.clone().requires_grad_(self.prioritized)
        q = self.critic.q(h_now, acts_in)
        td = q - target
        critic_loss = (weights[:, None] * valid * td.square()).sum() / count
        metrics: dict[str, float] = {}
        if self.prioritized:
            # DDPGfD's priority, per day: the mean over its steps of delta^2 + lambda3 |grad_a Q|^2
            (grad_a,) = torch.autograd.grad(q.sum(), acts_in, retain_graph=True)
            per_step = td.detach().square() + cfg.lambda3 * grad_a.square().sum(-1)
            per_day = (per_step * valid).sum(1) / valid.sum(1)
            priorities = per_day.numpy().astype(np.float64) + cfg.priority_eps
            priorities = priorities + cfg.priority_eps_demo * batch.is_demo
            self.replay.update_priorities(batch.indices, priorities)
            metrics["priority_mean"] = float(priorities.mean())
        self._critic_grad.zero_()
        critic_loss.backward()
        metrics["grad_norm/critic"] = _clip(self._critic_grad, cfg.grad_clip)
        self.critic_opt.step(self._critic_grad)
        soft_update(self._target_critic_params, self._critic_params, cfg.tau)
        metrics["loss/critic"] = float(critic_loss.detach())
        metrics["q_mean"] = float((q.detach() * valid).sum() / count)

        self.updates += 1
        if self.updates % cfg.actor_every == 0:
            metrics.update(self._actor_step(x, h_now.detach(), teacher, valid, count))
        soft_update(self._target_actor_params, self._actor_params, cfg.tau)
        return metrics

    def _actor_step(
        self,
        x: torch.Tensor,
        h_critic: torch.Tensor,
        teacher: torch.Tensor,
        valid: torch.Tensor,
        count: torch.Tensor,
    ) -> dict[str, float]:
        cfg = self.config
        steps = teacher.shape[1]
        mu = self.actor.action(unroll(self.actor.gru, x[:, :steps], None, cfg.segment))
        # gradients reach the action only; the critic's own weights are not updated here
        self.critic.requires_grad_(False)
        try:
            q_mu = self.critic.q(h_critic, mu)
            j = (q_mu * valid).sum() / count
            loss = -cfg.lambda1 * j
            out = {"actor_j": float(j.detach())}
            if cfg.use_bc:
                with torch.no_grad():
                    mask = q_filter_mask(self.critic.q(h_critic, teacher), q_mu) * valid
                bc = ((mu - teacher).square().sum(-1) * mask).sum() / count
                loss = loss + cfg.lambda2 * bc
                out["loss/bc"] = float(bc.detach())
                out["q_filter_pass"] = float(mask.sum() / count)
        finally:
            self.critic.requires_grad_(True)
        self._actor_grad.zero_()
        loss.backward()
        out["grad_norm/actor"] = _clip(self._actor_grad, cfg.grad_clip)
        self.actor_opt.step(self._actor_grad)
        out["loss/actor"] = float(loss.detach())
        return out

    def modules(self) -> dict[str, nn.Module]:
        return {
            "actor": self.actor,
            "critic": self.critic,
            "target_actor": self.target_actor,
            "target_critic": self.target_critic,
            "state": self._state,
        }

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        opts = {"actor": self.actor_opt, "critic": self.critic_opt}
        return opts  # type: ignore[return-value]  # FlatAdam has torch.optim's state-dict API

    def validation_loss(self) -> float | None:
        return None


def _clip(grad: torch.Tensor, max_norm: float) -> float:
    """Scale a flat gradient to norm <= max_norm in place; return the norm before clipping."""
    norm = float(grad.norm())
    if max_norm > 0 and norm > max_norm:
        grad.mul_(max_norm / (norm + 1e-6))
    return norm


def config_fields() -> list[str]:
    return [f.name for f in fields(IRDPGConfig)]
