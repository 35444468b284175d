"""One harness over every registered BC policy: two updates, save, load, action shapes.

Adding a policy to `POLICIES` adds it here: the parametrization reads the registry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

from mimetic.algorithms import ALGORITHMS
from mimetic.algorithms.bc import BCLearner, Config
from mimetic.data import Dataset
from mimetic.data.tree import tree_map
from mimetic.policies import POLICIES, Policy, PolicyConfig, TorchPolicy, load
from tests.builders import make_array_dataset, make_dict_dataset

torch.set_num_threads(1)
TINY = PolicyConfig(
    hidden_sizes=(16, 16), rnn_hidden_size=8, rnn_layers=1, d_model=8, num_heads=2, num_layers=1, seq_len=4
)


def _datasets_for(name: str) -> list[tuple[str, Dataset]]:
    box = ("dict-obs-box", make_dict_dataset(episodes=3))
    discrete = ("array-obs-discrete", make_array_dataset())
    kind = POLICIES.get(name).action_kind
    return {"box": [box], "discrete": [discrete], "any": [box, discrete]}[kind]


CASES = [(name, label, ds) for name in POLICIES.names() for label, ds in _datasets_for(name)]


def _obs_batch(ds: Dataset, n: int) -> object:
    return tree_map(lambda x: np.asarray(x)[:n], ds.episodes[-1].obs)


@pytest.mark.parametrize(("name", "label", "dataset"), CASES, ids=[f"{n}-{lbl}" for n, lbl, _ in CASES])
def test_two_updates_save_load_act(name: str, label: str, dataset: Dataset, tmp_path: Path) -> None:
    torch.manual_seed(0)
    learner = BCLearner(dataset, Config(policy=name, batch_size=8, net=TINY))
    rng = np.random.default_rng(0)
    for _ in range(2):
        metrics = learner.update(learner.sample(rng))
        assert np.isfinite(metrics["loss"])
    policy = learner.policy
    assert isinstance(policy, Policy)
    policy.save(tmp_path / "policy")
    loaded = load(tmp_path / "policy")
    assert isinstance(loaded, TorchPolicy) and loaded.name == name
    for key, value in policy.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key

    policy.train()  # acting turns dropout off by itself: the eval-mode copy must agree
    obs = _obs_batch(dataset, 3)
    state_a, state_b = policy.reset(3), loaded.reset(3)
    space = dataset.metadata.action_space
    for _ in range(2):  # two steps, so recurrent / windowed state is exercised
        act_a, state_a = policy.act(obs, state_a, deterministic=True)
        act_b, state_b = loaded.act(obs, state_b, deterministic=True)
        np.testing.assert_array_equal(act_a, act_b)
        sampled, _ = loaded.act(obs, loaded.reset(3), deterministic=False)
        if isinstance(space, spaces.Discrete):
            assert act_a.shape == (3,) and act_a.dtype == np.int64
            assert set(act_a.tolist()) <= set(range(int(space.n)))
            assert sampled.shape == (3,)
        else:
            assert isinstance(space, spaces.Box)
            assert act_a.shape == (3, *space.shape) and act_a.dtype == space.dtype
            assert np.all(act_a >= space.low) and np.all(act_a <= space.high)
            assert sampled.shape == act_a.shape


def test_every_policy_name_is_covered() -> None:
    assert {name for name, _, _ in CASES} == set(POLICIES.names())
    assert set(POLICIES.names()) >= {"mlp", "gaussian", "gmm", "discrete", "rnn", "transformer"}


def test_bc_is_registered() -> None:
    assert ALGORITHMS.get("bc").Config is Config


def test_unknown_policy_lists_the_choices() -> None:
    with pytest.raises(KeyError, match="valid choices: beso, discrete, gaussian, gmm, mlp, rnn, transformer"):
        BCLearner(make_array_dataset(), Config(policy="nope"))


def test_box_policy_on_discrete_actions_is_one_clear_error() -> None:
    from mimetic.data import DatasetError

    with pytest.raises(DatasetError, match="use policy 'discrete'"):
        BCLearner(make_array_dataset(), Config(policy="mlp"))


def test_config_round_trips_through_json() -> None:
    from mimetic.algorithms import config_from_dict, config_to_dict

    config = Config(policy="gmm", grad_clip_norm=1.0, net=PolicyConfig(hidden_sizes=(3, 4)))
    assert config_from_dict(Config, config_to_dict(config)) == config
