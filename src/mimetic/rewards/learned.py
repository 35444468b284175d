"""A learned reward as a `RewardFn`: saved as safetensors + JSON, loaded without pickle.

Two forms cover the methods here:
  - "mlp": r = transform(g(s, a[, s'])), one network. GAIL exports its discriminator's reward
    -log(1 - D) = softplus(logit) (Ho & Ermon 2016); AIRL exports its reward approximator g
    (Fu et al. 2018, Section 5: g recovers the reward up to a constant when it is state-only).
  - "soft_q": r = Q(s, a) - gamma V(s'), the inverse soft Bellman operator that IQ-Learn inverts
    (Garg et al. 2021, eq. 9). V(s') = alpha logsumexp(Q(s', .) / alpha) for discrete actions; for
    continuous actions V(s') = min_m Q_m(s', mu(s')) with the actor's deterministic action mu
    (the entropy term is left out: it is a per-state shift that the policy cannot change).

`mimetic train ppo|sac --reward DIR` trains on a saved reward instead of the env's.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from mimetic.data.errors import DatasetError, check_format_version
from mimetic.data.io import replace_path
from mimetic.rewards.nets import NetSpec, RewardNet, plain_state

FORMAT_VERSION = 1
CONFIG_FILE = "reward.json"
WEIGHTS_FILE = "reward.safetensors"
KINDS = ("mlp", "soft_q")
TRANSFORMS = ("identity", "softplus")


class LearnedReward:
    """A reward from learned networks; call it like any `RewardFn` (batched, NumPy in and out).

    Args:
        kind: "mlp" or "soft_q" (see the module docstring).
        nets: the networks by role: "g" for "mlp"; "q0", "q1", ... (and "actor" when continuous)
            for "soft_q".
        transform: applied to g's output ("mlp" only): "identity" or "softplus".
        gamma, alpha: the discount and temperature of "soft_q".
        action_low, action_high: the continuous actor's action bounds ("soft_q" only).
        meta: free-form provenance (algorithm, env id), saved with the weights.
    """

    def __init__(
        self,
        kind: str,
        nets: dict[str, RewardNet],
        *,
        transform: str = "identity",
        gamma: float = 0.99,
        alpha: float = 1.0,
        action_low: np.ndarray | None = None,
        action_high: np.ndarray | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown reward kind '{kind}'; valid choices: {', '.join(KINDS)}")
        if transform not in TRANSFORMS:
            raise ValueError(
                f"unknown reward transform '{transform}'; valid choices: {', '.join(TRANSFORMS)}"
            )
        self.kind = kind
        self.nets = nets
        self.transform = transform
        self.gamma = gamma
        self.alpha = alpha
        self.action_low = None if action_low is None else np.asarray(action_low, dtype=np.float32)
        self.action_high = None if action_high is None else np.asarray(action_high, dtype=np.float32)
        self.meta = dict(meta or {})
        for net in nets.values():
            net.eval()

    @property
    def obs_dim(self) -> int:
        return next(iter(self.nets.values())).spec.obs_dim

    @torch.no_grad()
    def __call__(self, obs: Any, acts: np.ndarray, next_obs: Any, env_rews: np.ndarray) -> np.ndarray:
        return self.score(obs, acts, next_obs).numpy().astype(np.float64)

    def score(self, obs: Any, acts: Any, next_obs: Any) -> torch.Tensor:
        if self.kind == "mlp":
            out = self.nets["g"].score(obs, acts, next_obs)
            return nn.functional.softplus(out) if self.transform == "softplus" else out
        critics = [net for name, net in sorted(self.nets.items()) if name.startswith("q")]
        if critics[0].spec.discrete:
            q_sa = torch.stack([c.score(obs) for c in critics]).min(0).values
            index = torch.as_tensor(np.asarray(acts).reshape(-1).astype(np.int64))
            q = q_sa.gather(1, index[:, None]).squeeze(1)
            next_q = torch.stack([c.score(next_obs) for c in critics]).min(0).values
            next_v = self.alpha * torch.logsumexp(next_q / self.alpha, -1)
        else:
            q = torch.stack([c.score(obs, acts) for c in critics]).min(0).values
            actor = self.nets["actor"]
            mean = actor.score(next_obs)[:, : critics[0].spec.act_dim]
            assert self.action_low is not None and self.action_high is not None
            low, high = torch.as_tensor(self.action_low), torch.as_tensor(self.action_high)
            next_act = torch.tanh(mean) * (high - low) / 2 + (high + low) / 2
            next_v = torch.stack([c.score(next_obs, next_act) for c in critics]).min(0).values
        return q - self.gamma * next_v

    # ---- files ------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write `reward.json` and `reward.safetensors` into `directory`, atomically (a folder swap)."""
        directory = Path(directory)
        tmp = directory.with_name(f".tmp_{directory.name}_{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        tensors: dict[str, torch.Tensor] = {}
        specs: dict[str, Any] = {}
        for name, net in self.nets.items():
            net.eval()
            specs[name] = {
                **NetSpec.from_json({**net.spec.to_json(), "spectral_norm": False}).to_json(),
            }
            for key, value in plain_state(net).items():
                tensors[f"{name}.{key}"] = value
        save_file(tensors, str(tmp / WEIGHTS_FILE))
        config = {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "transform": self.transform,
            "gamma": self.gamma,
            "alpha": self.alpha,
            "action_low": None if self.action_low is None else self.action_low.tolist(),
            "action_high": None if self.action_high is None else self.action_high.tolist(),
            "nets": specs,
            "meta": self.meta,
        }
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
        replace_path(tmp, directory)
        return directory


def load_reward(directory: str | Path) -> LearnedReward:
    """Rebuild a reward written by `LearnedReward.save`; bad files raise one `DatasetError` line."""
    directory = Path(directory)
    config_path = directory / CONFIG_FILE
    if not config_path.is_file():
        raise DatasetError(
            "not a saved reward",
            file=directory,
            expected=f"{CONFIG_FILE} and {WEIGHTS_FILE}",
            found="no reward.json",
        )
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as err:
        raise DatasetError(f"invalid JSON ({err.msg})", file=config_path) from None
    check_format_version(config, config_path, FORMAT_VERSION, "reward")
    for key in ("kind", "nets"):
        if key not in config:
            raise DatasetError("missing field", file=config_path, field=key)
    weights_path = directory / WEIGHTS_FILE
    if not weights_path.is_file():
        raise DatasetError("missing weights", file=weights_path, expected=WEIGHTS_FILE, found="no file")
    tensors = load_file(str(weights_path))
    nets: dict[str, RewardNet] = {}
    for name, spec_json in config["nets"].items():
        try:
            net = RewardNet(NetSpec.from_json(spec_json))
        except (TypeError, KeyError, ValueError) as err:
            raise DatasetError(
                f"bad network description ({err})", file=config_path, field=f"nets.{name}"
            ) from None
        prefix = f"{name}."
        state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            net.load_state_dict(state)
        except RuntimeError as err:
            first = str(err).strip().splitlines()[0]
            raise DatasetError(f"weights do not match ({first})", file=weights_path, field=name) from None
        nets[name] = net
    try:
        return LearnedReward(
            config["kind"],
            nets,
            transform=config.get("transform", "identity"),
            gamma=float(config.get("gamma", 0.99)),
            alpha=float(config.get("alpha", 1.0)),
            action_low=None if config.get("action_low") is None else np.asarray(config["action_low"]),
            action_high=None if config.get("action_high") is None else np.asarray(config["action_high"]),
            meta=config.get("meta"),
        )
    except ValueError as err:
        raise DatasetError(str(err), file=config_path) from None
