"""Learned torch policies: an encoder (MLP, RNN or causal transformer) and an action head.

Each registered name is one class. Every policy normalizes its own inputs and outputs with
statistics fitted on the training data and stored as buffers, so `save` / `load` carry them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from gymnasium import spaces
from safetensors.torch import load_file, save_file
from torch import nn

from mimetic.data.errors import DatasetError, check_format_version
from mimetic.data.spaces import space_from_dict, space_to_dict
from mimetic.nn.heads import CategoricalHead, DeterministicHead, GaussianHead, GMMHead, Head
from mimetic.nn.mlp import mlp
from mimetic.nn.normalize import Normalizer
from mimetic.nn.sequence import CausalTransformerEncoder, RecurrentEncoder
from mimetic.policies.config import PolicyConfig
from mimetic.policies.layout import ObsLayout
from mimetic.registry import Registry

POLICIES: Registry[type[TorchPolicy]] = Registry("policy")
FORMAT_VERSION = 1
WEIGHTS_FILE = "policy.safetensors"
CONFIG_FILE = "policy.json"


def is_bounded(space: spaces.Space[Any]) -> bool:
    return isinstance(space, spaces.Box) and bool(
        np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))
    )


class TorchPolicy(nn.Module):
    """Base class of learned policies; satisfies the `Policy` protocol.

    Batches for `loss` hold raw (unnormalized) tensors: "obs" (B, D) flattened with `layout`,
    or (B, L, D) for sequence policies with a "mask" (B, L); "acts" (B, A) float or (B,) integer.
    """

    name: ClassVar[str]
    sequential: ClassVar[bool] = False
    action_kind: ClassVar[str] = "box"
    """"box", "discrete" or "any": the action spaces this policy accepts."""

    def __init__(self, layout: ObsLayout, action_space: spaces.Space[Any], config: PolicyConfig) -> None:
        super().__init__()
        self.layout = layout
        self.action_space = action_space
        self.config = config
        self._check_space(action_space)
        self.discrete = isinstance(action_space, spaces.Discrete)
        if isinstance(action_space, spaces.Discrete):
            self.act_dim = int(action_space.n)
        else:
            self.act_dim = int(np.prod(action_space.shape or ()))
        self.obs_norm = Normalizer(layout.dim)
        self.act_norm = Normalizer(1 if self.discrete else self.act_dim)

    def _check_space(self, space: spaces.Space[Any]) -> None:
        is_box, is_discrete = isinstance(space, spaces.Box), isinstance(space, spaces.Discrete)
        accepted = {"box": is_box, "discrete": is_discrete, "any": is_box or is_discrete}[self.action_kind]
        if not accepted:
            wanted = {"box": "a Box", "discrete": "a Discrete", "any": "a Box or Discrete"}[self.action_kind]
            hint = " (use policy 'discrete')" if self.action_kind == "box" and is_discrete else ""
            raise DatasetError(
                f"policy '{self.name}' needs {wanted} action space, not {space}{hint}", field="acts"
            )

    # ---- normalization -------------------------------------------------------------------
    @property
    def squash(self) -> bool:
        return False

    def fit_normalizers(self, obs: np.ndarray, acts: np.ndarray) -> None:
        """Observation mean/std from the data; continuous actions too, or the space bounds when squashed."""
        self.obs_norm.fit(obs, min_scale=self.config.obs_min_scale)
        if self.discrete:
            return
        if self.squash:
            # A tanh head outputs (-1, 1); map the space's [low, high] onto it exactly.
            space = self.action_space
            assert isinstance(space, spaces.Box)
            low, high = (np.asarray(b, dtype=np.float64).reshape(-1) for b in (space.low, space.high))
            self.act_norm.set((high + low) / 2.0, (high - low) / 2.0)
        else:
            self.act_norm.fit(np.asarray(acts, dtype=np.float64).reshape(len(acts), -1))

    def targets(self, acts: torch.Tensor) -> torch.Tensor:
        return acts.long() if self.discrete else self.act_norm.normalize(acts)

    def to_env_actions(self, raw: torch.Tensor) -> np.ndarray:
        if self.discrete:
            return raw.numpy().astype(np.int64)
        acts = self.act_norm.denormalize(raw).numpy()
        space = self.action_space
        assert isinstance(space, spaces.Box)
        acts = acts.reshape(acts.shape[0], *space.shape)
        if is_bounded(space):
            acts = np.clip(acts, space.low, space.high)
        return acts.astype(space.dtype)

    # ---- the Policy protocol -------------------------------------------------------------
    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """Batched actions in env units. Acting is never training: dropout is off whatever the module's mode."""
        was_training = self.training
        if was_training:  # switching modes walks every submodule: costly when acting step by step
            self.train(False)
        try:
            with torch.no_grad():
                return self._act(obs, state, deterministic)
        finally:
            if was_training:
                self.train(True)

    def _act(self, obs: Any, state: Any, deterministic: bool) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    def reset(self, batch_size: int) -> Any:
        return None

    def _obs_tensor(self, obs: Any) -> torch.Tensor:
        return self.obs_norm.normalize(torch.from_numpy(self.layout.flatten(obs)))

    # ---- save / load ---------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "policy": self.name,
            "obs_layout": self.layout.to_json(),
            "action_space": space_to_dict(self.action_space),
            "config": self.config.to_json(),
        }

    @classmethod
    def from_description(
        cls, layout: ObsLayout, action_space: spaces.Space[Any], config: PolicyConfig, meta: dict[str, Any]
    ) -> TorchPolicy:
        """Rebuild from `describe()` output; policies with extra settings in `meta` override this."""
        return cls(layout, action_space, config)

    def save(self, directory: str | Path) -> Path:
        """Write `policy.safetensors` and `policy.json` into `directory` (created if missing)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(tensors, str(directory / WEIGHTS_FILE))
        (directory / CONFIG_FILE).write_text(json.dumps(self.describe(), indent=2) + "\n")
        return directory


def load(directory: str | Path) -> TorchPolicy:
    """Rebuild a policy saved with `save`: JSON config + safetensors weights, nothing unpickled."""
    directory = Path(directory)
    config_path = directory / CONFIG_FILE
    if not config_path.is_file():
        raise DatasetError(
            "not a saved policy",
            file=directory,
            expected=f"{CONFIG_FILE} and {WEIGHTS_FILE}",
            found="no policy.json",
        )
    meta = json.loads(config_path.read_text())
    check_format_version(meta, config_path, FORMAT_VERSION, "policy")
    cls = POLICIES.get(meta["policy"])
    policy = cls.from_description(
        ObsLayout.from_json(meta["obs_layout"]),
        space_from_dict(meta["action_space"]),
        PolicyConfig.from_json(meta["config"]),
        meta,
    )
    policy.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
    policy.eval()
    return policy


def build_policy(
    name: str, obs_example: Any, action_space: spaces.Space[Any], config: PolicyConfig | None = None
) -> TorchPolicy:
    """A fresh policy named `name` for observations shaped like the batched `obs_example`."""
    return POLICIES.get(name)(ObsLayout.of(obs_example), action_space, config or PolicyConfig())


# ---- feed-forward policies ------------------------------------------------------------------
class FeedForwardPolicy(TorchPolicy):
    """MLP trunk on the normalized observation, then a head."""

    def __init__(self, layout: ObsLayout, action_space: spaces.Space[Any], config: PolicyConfig) -> None:
        super().__init__(layout, action_space, config)
        self.trunk = mlp(layout.dim, config.hidden_sizes, None, config.activation)
        width = config.hidden_sizes[-1] if config.hidden_sizes else layout.dim
        self.head = self.make_head(width)

    def make_head(self, width: int) -> Head:
        raise NotImplementedError

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        features = self.trunk(self.obs_norm.normalize(batch["obs"]))
        return self.head.nll(features, self.targets(batch["acts"])).mean()

    def _act(self, obs: Any, state: Any, deterministic: bool) -> tuple[np.ndarray, Any]:
        features = self.trunk(self._obs_tensor(obs))
        return self.to_env_actions(self.head.act(features, deterministic)), state


@POLICIES.register("mlp")
class MLPPolicy(FeedForwardPolicy):
    """Deterministic regression, trained with mean squared error."""

    name = "mlp"

    def make_head(self, width: int) -> Head:
        return DeterministicHead(width, self.act_dim)


@POLICIES.register("gaussian")
class GaussianPolicy(FeedForwardPolicy):
    """Diagonal Gaussian trained by negative log-likelihood, tanh-squashed for bounded actions."""

    name = "gaussian"

    @property
    def squash(self) -> bool:
        return is_bounded(self.action_space) if self.config.squash is None else self.config.squash

    def make_head(self, width: int) -> Head:
        return GaussianHead(width, self.act_dim, squash=self.squash)


@POLICIES.register("gmm")
class GMMPolicy(FeedForwardPolicy):
    """Gaussian mixture (robomimic-style), trained by negative log-likelihood; keeps multimodal actions."""

    name = "gmm"

    def make_head(self, width: int) -> Head:
        return GMMHead(width, self.act_dim, self.config.num_modes, self.config.min_std)


@POLICIES.register("discrete")
class DiscretePolicy(FeedForwardPolicy):
    """Categorical over a Discrete action space, trained with cross-entropy."""

    name = "discrete"
    action_kind = "discrete"

    def make_head(self, width: int) -> Head:
        return CategoricalHead(width, self.act_dim)


def _sequence_head(policy: TorchPolicy, width: int) -> Head:
    if policy.discrete:
        return CategoricalHead(width, policy.act_dim)
    return DeterministicHead(width, policy.act_dim)


class SequencePolicy(TorchPolicy):
    """Trained on windows of `config.seq_len` steps; the loss is averaged over the unpadded steps.

    The head is categorical for Discrete action spaces and an MSE regressor for Box ones.
    """

    sequential = True
    action_kind = "any"
    head: Head

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        features = self.encode(self.obs_norm.normalize(batch["obs"]))
        per_step = self.head.nll(features, self.targets(batch["acts"]))
        mask = batch["mask"].to(per_step.dtype)
        return (per_step * mask).sum() / mask.sum().clamp_min(1.0)


@POLICIES.register("rnn")
class RNNPolicy(SequencePolicy):
    """BC-RNN (robomimic, Mandlekar et al. 2021): an LSTM/GRU over the observation sequence.

    At rollout the hidden state is carried from step to step and reset every `seq_len` steps,
    as robomimic's `BC_RNN.get_action` does, so rollouts see the same horizons as training.
    """

    name = "rnn"

    def __init__(self, layout: ObsLayout, action_space: spaces.Space[Any], config: PolicyConfig) -> None:
        super().__init__(layout, action_space, config)
        self.rnn = RecurrentEncoder(layout.dim, config.rnn_hidden_size, config.rnn_layers, config.rnn_cell)
        self.head = _sequence_head(self, config.rnn_hidden_size)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]

    def reset(self, batch_size: int) -> Any:
        return {"hidden": None, "steps": 0}

    def _act(self, obs: Any, state: Any, deterministic: bool) -> tuple[np.ndarray, Any]:
        x = self._obs_tensor(obs)
        state = state if state is not None else self.reset(x.shape[0])
        hidden = None if state["steps"] % self.config.seq_len == 0 else state["hidden"]
        out, hidden = self.rnn(x[:, None], hidden)
        action = self.head.act(out[:, 0], deterministic)
        return self.to_env_actions(action), {"hidden": hidden, "steps": state["steps"] + 1}


@POLICIES.register("transformer")
class TransformerPolicy(SequencePolicy):
    """A causal transformer over the last `seq_len` observations (context 10 by default).

    At rollout the state is the window of past normalized observations; the action comes from the
    newest position, which attends to the window only (as in training).
    """

    name = "transformer"

    def __init__(self, layout: ObsLayout, action_space: spaces.Space[Any], config: PolicyConfig) -> None:
        super().__init__(layout, action_space, config)
        self.encoder = CausalTransformerEncoder(
            layout.dim, config.d_model, config.num_heads, config.num_layers, config.seq_len, config.dropout
        )
        self.head = _sequence_head(self, config.d_model)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def reset(self, batch_size: int) -> Any:
        return {"window": None}

    def _act(self, obs: Any, state: Any, deterministic: bool) -> tuple[np.ndarray, Any]:
        x = self._obs_tensor(obs)[:, None]
        window = None if state is None else state["window"]
        window = x if window is None else torch.cat([window, x], dim=1)[:, -self.config.seq_len :]
        features = self.encoder(window)[:, -1]
        return self.to_env_actions(self.head.act(features, deterministic)), {"window": window}
