"""Head losses against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mimetic.nn.heads import CategoricalHead, DeterministicHead, GaussianHead, GMMHead
from mimetic.nn.normalize import Normalizer

torch.set_num_threads(1)
FEATURES = torch.ones(1, 1)  # with zero weights, every head's parameters are its biases


def _set_bias(head: torch.nn.Module, bias: list[float]) -> None:
    with torch.no_grad():
        head.linear.weight.zero_()  # type: ignore[union-attr]
        head.linear.bias.copy_(torch.tensor(bias))  # type: ignore[union-attr]


def test_gaussian_nll_unsquashed() -> None:
    head = GaussianHead(1, 1, squash=False)
    _set_bias(head, [0.5, math.log(2.0)])  # mean 0.5, std 2
    # 0.5 ((1.5 - 0.5) / 2)^2 + log 2 + 0.5 log(2 pi) = 0.125 + 0.693147 + 0.918939
    assert head.nll(FEATURES, torch.tensor([[1.5]])).item() == pytest.approx(1.737086, abs=1e-5)


def test_gaussian_nll_with_tanh_correction() -> None:
    head = GaussianHead(1, 1, squash=True)
    _set_bias(head, [0.0, 0.0])  # u ~ N(0, 1), a = tanh(u)
    # target a = tanh(0.5) = 0.462117: u = 0.5, log N(0.5) = -0.125 - 0.918939 = -1.043939,
    # log(1 - tanh(0.5)^2) = log(0.786448) = -0.240229, so -log p(a) = 1.043939 - 0.240229
    target = torch.tensor([[0.46211716]])
    assert head.nll(FEATURES, target).item() == pytest.approx(0.803710, abs=1e-5)
    assert head.act(FEATURES, deterministic=True).item() == 0.0


def test_gaussian_squashed_targets_at_the_bound_stay_finite() -> None:
    head = GaussianHead(1, 1, squash=True)
    assert torch.isfinite(head.nll(FEATURES, torch.tensor([[1.0]]))).all()


def test_gmm_log_likelihood_two_modes() -> None:
    head = GMMHead(1, 1, num_modes=2, min_std=0.0)
    raw_std_one = math.log(math.e - 1.0)  # softplus^-1(1) = 0.541325
    # layout: logits (2), means (2 x 1), raw stds (2 x 1); weights 0.25 / 0.75, means -1 / +1, stds 1
    _set_bias(head, [0.0, math.log(3.0), -1.0, 1.0, raw_std_one, raw_std_one])
    # p(1) = 0.25 N(1; -1, 1) + 0.75 N(1; 1, 1) = 0.25 * 0.053991 + 0.75 * 0.398942 = 0.312705
    assert head.nll(FEATURES, torch.tensor([[1.0]])).item() == pytest.approx(1.162497, abs=1e-5)
    # deterministic: the mean of the most probable component, not the mixture mean (0.5)
    assert head.act(FEATURES, deterministic=True).item() == pytest.approx(1.0)


def test_categorical_cross_entropy() -> None:
    head = CategoricalHead(1, 2)
    _set_bias(head, [0.0, math.log(3.0)])  # p = (0.25, 0.75)
    assert head.nll(FEATURES, torch.tensor([1])).item() == pytest.approx(0.287682, abs=1e-6)
    assert head.act(FEATURES).item() == 1


def test_deterministic_mse() -> None:
    head = DeterministicHead(1, 2)
    _set_bias(head, [1.0, -1.0])
    # ((1 - 2)^2 + (-1 - 1)^2) / 2 = 2.5
    assert head.nll(FEATURES, torch.tensor([[2.0, 1.0]])).item() == pytest.approx(2.5)


def test_normalizer_standardizes_and_leaves_constant_features_unscaled() -> None:
    norm = Normalizer(2)
    norm.fit(np.array([[1.0, 10.0], [3.0, 10.0]]))  # mean (2, 10), std (1, 0 -> 1)
    z = norm.normalize(torch.tensor([[3.0, 12.0]]))
    assert z.tolist() == [[1.0, 2.0]]
    assert norm.denormalize(z).tolist() == [[3.0, 12.0]]


def test_normalizer_scale_floor_keeps_barely_varying_features_from_blowing_up() -> None:
    norm = Normalizer(2)
    # std (0.01, 1.0): with min_scale 0.1 the first feature is divided by 0.1, the second by its std
    norm.fit(np.array([[0.0, 0.0], [0.02, 2.0]]), min_scale=0.1)
    assert norm.scale.tolist() == pytest.approx([0.1, 1.0])
    assert norm.normalize(torch.tensor([[0.21, 3.0]])).tolist() == [pytest.approx([2.0, 2.0])]


def test_policy_observation_normalizer_uses_the_configured_floor() -> None:
    from gymnasium import spaces

    from mimetic.policies.config import PolicyConfig
    from mimetic.policies.learned import build_policy

    obs = np.array([[0.0, 0.0], [0.02, 2.0]], dtype=np.float32)
    for floor, expected in ((0.1, [0.1, 1.0]), (0.0, [0.01, 1.0])):
        policy = build_policy("mlp", obs, spaces.Box(-1, 1, (1,)), PolicyConfig(obs_min_scale=floor))
        policy.fit_normalizers(obs, np.zeros((2, 1), dtype=np.float32))
        assert policy.obs_norm.scale.tolist() == pytest.approx(expected)
