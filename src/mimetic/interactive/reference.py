"""The value rule's reference agent: a policy and the critic that judges actions against it.

RLIF (Luo et al. 2023) decides interventions with a "ground truth" RL agent: its critic Q compares
the learner's action with the agent's own action, Q(s, a_learner) < threshold * Q(s, a_ref). In the
authors' value-based Walker2d runs (`intervention_strategy=q`) that agent is one fixed SAC agent,
whatever the quality of the expert who then takes over. Two properties make its critic a good judge:
it was trained on the data of its own learning run, which holds bad actions as well as good ones,
and its actor was trained to maximize it, so the reference action sits at a maximum of Q and any
other action scores lower. A critic fitted afterwards to the zoo's actor (`expert_q.fit_expert_q`)
has neither on MuJoCo (it rated the zoo's medium actions above the expert's on Hopper-v5), so the zoo
ships SAC critics under `zoo/<env>/critic/`: `critic.safetensors` (the clipped double-Q ensemble),
`critic.json` (its shape and where it came from) and `policy/` (the actor). The zoo kept only
actors, so `scripts/build_critic.py` reruns an expert's recorded command; `critic.json` lists the
zoo entries whose weights equal its actor's. Hopper-v5's rerun was bit-identical, so its judge is
the zoo expert's own agent; Walker2d-v5's was not (a shorter run), and its agent scores above the
zoo expert, which a test requires of every shipped judge. Envs without one use FQE of the zoo expert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file

from mimetic.data.errors import DatasetError, check_format_version
from mimetic.interactive.interveners import QFunction
from mimetic.nn.ensemble import EnsembleMLP

CRITIC_FOLDER = "critic"
CRITIC_FILE = "critic.json"
CRITIC_WEIGHTS = "critic.safetensors"
CRITIC_FORMAT_VERSION = 1


class EnsembleQ:
    """Q(s, a) as the minimum over a critic ensemble (SAC's clipped double-Q, which the authors'
    rule takes too: `np.min([q1, q2])`); actions in env units, as the SAC critic was trained."""

    def __init__(self, critics: EnsembleMLP) -> None:
        self.critics = critics.eval()

    @torch.no_grad()
    def __call__(self, obs: np.ndarray, acts: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(len(obs), -1))
        a = torch.as_tensor(np.asarray(acts, dtype=np.float32).reshape(len(x), -1))
        q = self.critics(torch.cat([x, a], 1)).squeeze(-1).min(0).values
        return np.asarray(q.numpy(), dtype=np.float64)


@dataclass(frozen=True)
class ReferenceAgent:
    """What the value rule needs: Q, and the policy whose action the learner's is compared with
    (None: the intervening expert's own action, the rule's behaviour with a fitted Q)."""

    q: QFunction
    policy: Any
    source: str


def critic_folder(env_id: str, zoo_dir: Path | None = None) -> Path:
    from mimetic import zoo

    return (zoo_dir or zoo.ZOO_DIR) / zoo.env_folder(env_id) / CRITIC_FOLDER


def has_critic(env_id: str, zoo_dir: Path | None = None) -> bool:
    return (critic_folder(env_id, zoo_dir) / CRITIC_FILE).is_file()


def load_critic(folder: Path) -> ReferenceAgent:
    """A shipped reference agent from `folder` (critic.json, critic.safetensors, policy/)."""
    from mimetic.policies.learned import load as load_policy

    meta_path = folder / CRITIC_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DatasetError(f"cannot read the reference critic: {err}", file=meta_path) from err
    check_format_version(meta, meta_path, CRITIC_FORMAT_VERSION, "reference critic")
    for key in ("members", "obs_dim", "act_dim", "hidden_sizes", "layer_norm"):
        if key not in meta:
            raise DatasetError("missing field", file=meta_path, field=key)
    critics = EnsembleMLP(
        int(meta["members"]),
        int(meta["obs_dim"]) + int(meta["act_dim"]),
        [int(h) for h in meta["hidden_sizes"]],
        1,
        bool(meta["layer_norm"]),
    )
    critics.load_state_dict(load_file(str(folder / CRITIC_WEIGHTS)))
    return ReferenceAgent(EnsembleQ(critics), load_policy(folder / "policy"), str(folder))


def reference_agent(spec: str, env_id: str, seed: int) -> ReferenceAgent:
    """The reference for `spec`: "zoo" takes the env's shipped critic where the zoo has one, else FQE
    of the zoo expert; a folder with `critic.json` is loaded as it is; any other expert spec
    ("zoo:medium", a policy folder) is fitted by FQE."""
    from mimetic.interactive.expert_q import fit_expert_q
    from mimetic.interactive.experts import resolve_expert

    if spec == "zoo" and has_critic(env_id):
        return load_critic(critic_folder(env_id))
    if (Path(spec) / CRITIC_FILE).is_file():
        return load_critic(Path(spec))
    policy = resolve_expert(spec, env_id, seed)
    return ReferenceAgent(fit_expert_q(policy, env_id, seed=seed), None, f"FQE of {spec}")
