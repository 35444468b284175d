"""Use a stable-baselines3 model file (`.zip`) as an expert, without stable-baselines3 and without pickle.

An SB3 `.zip` holds `policy.pth` (a torch state dict) and `data` (JSON; objects SB3 could not
write as JSON are base64 pickles). Unpickling an untrusted file runs arbitrary code, so this
reader never does: the weights load with `torch.load(weights_only=True)`, the network shape comes
from the tensor shapes, and the activation is read from `policy_kwargs` by *parsing* the pickle's
opcodes (`pickletools.genops`, which executes nothing) for the class name. The actor is rebuilt
as an ordinary mimetic policy through `policy_from_actor`, so it acts exactly as SB3's
`model.predict(obs, deterministic=True)` does.

Supported: the MLP policies of PPO and A2C (discrete and Box actions), DQN, SAC, TD3 and DDPG,
on flat Box observations. Not supported, with a clear error: image or dict observations, gSDE,
and `VecNormalize` statistics (kept by SB3 in a separate pickle file).
"""

from __future__ import annotations

import base64
import io
import json
import pickletools
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from mimetic.policies.actor import Layer, policy_from_actor
from mimetic.policies.learned import TorchPolicy

# SB3's default activations: ActorCriticPolicy uses Tanh; the off-policy policies use ReLU.
_DEFAULT_ACTIVATION = {"ppo": "tanh", "a2c": "tanh", "dqn": "relu", "sac": "relu", "td3": "relu"}
_TORCH_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "GELU": "gelu", "SiLU": "silu"}


class SB3FormatError(ValueError):
    """The file is not an SB3 model this reader supports; the message names file and reason."""


def load_sb3(
    path: str | Path, observation_space: spaces.Space[Any], action_space: spaces.Space[Any]
) -> TorchPolicy:
    """The deterministic actor of the SB3 model at `path`, for an env with these spaces."""
    path = Path(path)
    if not isinstance(observation_space, spaces.Box) or len(observation_space.shape or ()) != 1:
        raise SB3FormatError(
            f"{path}: only flat Box observations are supported, the env has {observation_space}"
        )
    state, data = _read_zip(path)
    family = _family(path, state, data)
    if data.get("use_sde"):
        raise SB3FormatError(f"{path}: models trained with gSDE (use_sde=True) are not supported")
    activation = _activation(path, data.get("policy_kwargs"), family)
    kind, layers = _actor_layers(path, family, state, action_space)
    obs_dim = int(observation_space.shape[0])
    if layers[0][0].shape[1] != obs_dim:
        raise SB3FormatError(
            f"{path}: the model takes {layers[0][0].shape[1]} observation features, the env gives {obs_dim}"
        )
    return policy_from_actor(kind, layers, activation, observation_space, action_space)


def _read_zip(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    if not path.is_file():
        raise SB3FormatError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "policy.pth" not in names or "data" not in names:
                raise SB3FormatError(
                    f"{path}: not a stable-baselines3 model (expected 'policy.pth' and 'data' in the zip, "
                    f"found {sorted(names)})"
                )
            state = torch.load(io.BytesIO(archive.read("policy.pth")), weights_only=True, map_location="cpu")
            data = json.loads(archive.read("data"))
    except zipfile.BadZipFile as exc:
        raise SB3FormatError(f"{path}: not a zip file ({exc})") from exc
    if not isinstance(state, dict) or not isinstance(data, dict):
        raise SB3FormatError(f"{path}: 'policy.pth' or 'data' is not the expected mapping")
    return state, data


def _family(path: Path, state: dict[str, torch.Tensor], data: dict[str, Any]) -> str:
    """Which SB3 algorithm wrote the file, from the policy class's module and the state dict keys."""
    module = str((data.get("policy_class") or {}).get("__module__", ""))
    if ".sac." in module or "actor.latent_pi.0.weight" in state:
        return "sac"
    if ".td3." in module or "actor.mu.0.weight" in state:
        return "td3"
    if ".dqn." in module or "q_net.q_net.0.weight" in state:
        return "dqn"
    if "action_net.weight" in state:
        return "ppo" if "clip_range" in data else "a2c"
    raise SB3FormatError(
        f"{path}: unsupported SB3 policy (module '{module}'); supported: MLP policies of PPO, A2C, DQN, SAC, TD3, DDPG"
    )


def _activation(path: Path, policy_kwargs: Any, family: str) -> str:
    if not isinstance(policy_kwargs, dict) or ":serialized:" not in policy_kwargs:
        return _DEFAULT_ACTIVATION[family]
    # A non-JSON policy_kwargs (it holds a class such as activation_fn=nn.ReLU) is a pickle; read the
    # class names it references from its opcodes without executing it.
    raw = base64.b64decode(policy_kwargs[":serialized:"])
    strings = [str(arg) for _, arg, _ in pickletools.genops(raw) if isinstance(arg, str)]
    found = {_TORCH_ACTIVATIONS[s] for s in strings if s in _TORCH_ACTIVATIONS}
    if "activation_fn" not in strings or not found:
        return _DEFAULT_ACTIVATION[family]
    if len(found) > 1:
        raise SB3FormatError(f"{path}: policy_kwargs names several activations {sorted(found)}")
    return found.pop()


def _linear_chain(state: dict[str, torch.Tensor], prefix: str) -> list[Layer]:
    """The Linear layers `prefix.0`, `prefix.2`, ... of an `nn.Sequential` (activations between)."""
    indices = sorted(
        int(m.group(1)) for key in state if (m := re.fullmatch(re.escape(prefix) + r"\.(\d+)\.weight", key))
    )
    return [_layer(state, f"{prefix}.{i}") for i in indices]


def _layer(state: dict[str, torch.Tensor], name: str) -> Layer:
    return state[f"{name}.weight"].numpy(), state[f"{name}.bias"].numpy()


def _actor_layers(
    path: Path, family: str, state: dict[str, torch.Tensor], action_space: spaces.Space[Any]
) -> tuple[str, list[Layer]]:
    """(policy kind, linear layers) reproducing SB3's deterministic action for `family`."""
    discrete = isinstance(action_space, spaces.Discrete)
    if family in ("ppo", "a2c"):
        layers = [*_linear_chain(state, "mlp_extractor.policy_net"), _layer(state, "action_net")]
        kind = "discrete" if discrete else "mlp"  # continuous: the Gaussian mean, clipped to the bounds
    elif family == "dqn":
        layers, kind = _linear_chain(state, "q_net.q_net"), "discrete"  # argmax over Q-values
    elif family == "sac":
        (mu_w, mu_b), (ls_w, ls_b) = _layer(state, "actor.mu"), _layer(state, "actor.log_std")
        head = (np.concatenate([mu_w, ls_w]), np.concatenate([mu_b, ls_b]))
        layers, kind = [*_linear_chain(state, "actor.latent_pi"), head], "gaussian"  # tanh(mean), rescaled
    else:
        # TD3's actor ends in tanh and is rescaled to the bounds: a tanh-squashed Gaussian's mean
        # with a (never used) zero log-std does exactly that.
        layers = _linear_chain(state, "actor.mu")
        w, b = layers[-1]
        layers[-1] = (np.concatenate([w, np.zeros_like(w)]), np.concatenate([b, np.zeros_like(b)]))
        kind = "gaussian"
    if discrete != (kind == "discrete"):
        raise SB3FormatError(
            f"{path}: a {family.upper()} model does not fit the env's action space {action_space}"
        )
    out = layers[-1][0].shape[0]
    expected = int(action_space.n) if discrete else int(np.prod(action_space.shape or ()))  # type: ignore[attr-defined]
    if kind == "gaussian":
        out //= 2
    if out != expected:
        raise SB3FormatError(
            f"{path}: the model outputs {out} actions, the env's action space has {expected}"
        )
    return kind, layers
