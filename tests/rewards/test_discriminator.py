"""Formula checks for the adversarial discriminators, against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from mimetic.algorithms.adversarial import DiscriminatorFit
from mimetic.rewards.discriminator import (
    Batch,
    Discriminator,
    airl_shaped,
    concat_batches,
    discriminator_loss,
    gail_reward,
    gradient_penalty,
)
from mimetic.rewards.nets import NetSpec, RewardNet

torch.set_num_threads(1)


def test_discriminator_loss_is_the_logistic_loss() -> None:
    # D = sigmoid(logit): expert D = 0.5, 0.75; agent D = 0.5, 0.25
    expert = torch.tensor([0.0, math.log(3.0)])
    agent = torch.tensor([0.0, -math.log(3.0)])
    by_hand = 0.5 * (-math.log(0.5) - math.log(0.75)) + 0.5 * (-math.log(1 - 0.5) - math.log(1 - 0.25))
    assert float(discriminator_loss(expert, agent)) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(math.log(8.0 / 3.0))


def test_gail_reward_is_minus_log_one_minus_d() -> None:
    # logit ln 3 -> D = 0.75 -> -log(0.25) = ln 4; logit 0 -> D = 0.5 -> ln 2
    out = gail_reward(torch.tensor([math.log(3.0), 0.0]))
    assert out.tolist() == pytest.approx([math.log(4.0), math.log(2.0)])


def test_airl_shaping_drops_the_next_value_at_terminals() -> None:
    g, h, next_h = torch.tensor([1.0, 1.0]), torch.tensor([2.0, 2.0]), torch.tensor([3.0, 3.0])
    f = airl_shaped(g, h, next_h, torch.tensor([0.0, 1.0]), gamma=0.9)
    assert f.tolist() == pytest.approx([1.0 + 0.9 * 3.0 - 2.0, 1.0 - 2.0])


def _constant(net: RewardNet, value: float) -> None:
    last = [m for m in net.body if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(value)


def test_airl_logit_is_f_minus_log_pi() -> None:
    disc = Discriminator(2, 3, True, (4,), np.zeros(2), np.ones(2), shaped=True, gamma=0.9)
    assert disc.h is not None
    _constant(disc.g, 1.0)
    _constant(disc.h, 2.0)
    obs = np.zeros((2, 2), np.float32)
    batch = Batch(obs, np.array([0, 2]), obs, np.array([False, True]), np.log(np.array([0.5, 0.25])))
    logits = disc.logits(batch)
    f = np.array([1.0 + 0.9 * 2.0 - 2.0, 1.0 - 2.0])
    assert logits.tolist() == pytest.approx((f - np.log([0.5, 0.25])).tolist(), abs=1e-6)
    # D = exp(f) / (exp(f) + pi) (Fu et al. 2018, eq. 2) is the sigmoid of that logit
    d = np.exp(f) / (np.exp(f) + np.array([0.5, 0.25]))
    assert torch.sigmoid(logits).tolist() == pytest.approx(d.tolist(), abs=1e-6)
    with pytest.raises(ValueError, match="log_pi"):
        disc.logits(Batch(obs, np.array([0, 2]), obs, np.array([False, True])))


def test_gradient_penalty_of_a_linear_net() -> None:
    net = RewardNet(NetSpec(2, 0, False, "s", ()))
    linear = net.body[0]
    assert isinstance(linear, nn.Linear)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[3.0, 4.0]]))
    x = torch.randn(8, 2)
    # the gradient is the weight everywhere: (||(3, 4)|| - 1)^2 = 16
    penalty = gradient_penalty(net, x, -x, torch.Generator().manual_seed(0)).detach()
    assert float(penalty) == pytest.approx(16.0)


def _autograd_penalty(net: RewardNet, expert: torch.Tensor, agent: torch.Tensor, seed: int) -> torch.Tensor:
    mix = torch.rand(len(expert), 1, generator=torch.Generator().manual_seed(seed))
    x = (mix * expert + (1 - mix) * agent).requires_grad_(True)
    (grad,) = torch.autograd.grad(net(x).sum(), x, create_graph=True)
    return (grad.norm(dim=-1) - 1.0).square().mean()


@pytest.mark.parametrize("hidden", [(), (7,), (16, 9), (5, 6, 4)])
def test_closed_form_penalty_matches_autograd(hidden: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    net = RewardNet(NetSpec(3, 2, False, "sa", hidden))
    expert, agent = torch.randn(32, 5), torch.randn(32, 5)
    fast = gradient_penalty(net, expert, agent, torch.Generator().manual_seed(1))
    fast_grads = torch.autograd.grad(fast, list(net.parameters()), allow_unused=True)
    slow = _autograd_penalty(net, expert, agent, 1)
    slow_grads = torch.autograd.grad(slow, list(net.parameters()), allow_unused=True)
    assert float(fast.detach()) == pytest.approx(float(slow.detach()), rel=1e-5)
    assert float(fast.detach()) > 0.01  # a net whose gradient norm is 1 everywhere would test nothing
    for param, a, b in zip(net.parameters(), fast_grads, slow_grads, strict=True):
        # the input gradient does not depend on the biases (ReLU's masks are piecewise constant), so
        # either side may leave them out (None) or give zeros
        zero = torch.zeros_like(param)
        torch.testing.assert_close(zero if a is None else a, zero if b is None else b, rtol=1e-4, atol=1e-6)
    weights = [g for p, g in zip(net.parameters(), fast_grads, strict=True) if p.ndim == 2]
    assert all(g is not None and float(g.abs().max()) > 0 for g in weights)


def test_penalty_of_other_activations_keeps_autograd() -> None:
    torch.manual_seed(0)
    net = RewardNet(NetSpec(3, 0, False, "s", (8, 8), activation="tanh"))
    expert, agent = torch.randn(16, 3), torch.randn(16, 3)
    fast = gradient_penalty(net, expert, agent, torch.Generator().manual_seed(2))
    assert float(fast.detach()) == pytest.approx(
        float(_autograd_penalty(net, expert, agent, 2).detach()), rel=1e-6
    )


def _random_batch(rng: np.random.Generator, n: int, log_pi: bool) -> Batch:
    return Batch(
        rng.standard_normal((n, 3)).astype(np.float32),
        rng.uniform(-1, 1, (n, 2)).astype(np.float32),
        rng.standard_normal((n, 3)).astype(np.float32),
        rng.random(n) < 0.3,
        rng.standard_normal(n).astype(np.float32) if log_pi else None,
    )


def test_concat_batches_keeps_the_order_and_refuses_half_a_log_pi() -> None:
    rng = np.random.default_rng(0)
    first, second = _random_batch(rng, 2, True), _random_batch(rng, 3, True)
    both = concat_batches(first, second)
    assert both.obs.shape == (5, 3) and both.log_pi is not None
    np.testing.assert_array_equal(both.next_obs[2:], second.next_obs)
    np.testing.assert_array_equal(both.log_pi[:2], first.log_pi)
    assert concat_batches(_random_batch(rng, 2, False), _random_batch(rng, 1, False)).log_pi is None
    with pytest.raises(ValueError, match="log_pi"):
        concat_batches(first, _random_batch(rng, 1, False))


@pytest.mark.parametrize("shaped", [False, True])
def test_fit_step_loss_is_the_loss_of_each_batch_on_its_own(shaped: bool) -> None:
    """The step scores both batches in one pass; its loss must be the one of scoring them apart."""
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    disc = Discriminator(3, 2, False, (8, 8), np.zeros(3), np.ones(3), shaped=shaped, h_hidden_sizes=(4,))
    agent, expert = _random_batch(rng, 6, shaped), _random_batch(rng, 4, shaped)
    with torch.no_grad():
        expected = float(discriminator_loss(disc.logits(expert), disc.logits(agent)))
    metrics = DiscriminatorFit(disc, 1e-3, 0.0, 0).step(agent, expert)
    assert metrics["loss/discriminator"] == pytest.approx(expected, rel=1e-6)


def test_spectral_norm_bounds_each_layer() -> None:
    net = RewardNet(NetSpec(3, 2, True, "sa", (16,), spectral_norm=True))
    net.train()
    for _ in range(20):  # power iteration converges as the net runs
        net.score(np.random.default_rng(0).standard_normal((4, 3)), np.array([0, 1, 0, 1]))
    for module in net.body:
        if isinstance(module, nn.Linear):
            assert float(torch.linalg.matrix_norm(module.weight.detach(), ord=2)) == pytest.approx(
                1.0, abs=0.05
            )
