"""EDM preconditioning, the log-logistic training noise, the exponential schedule and the samplers."""

from __future__ import annotations

import math

import pytest
import torch

from mimetic.nn.diffusion import (
    SAMPLERS,
    MLPDenoiser,
    TransformerDenoiser,
    denoising_loss,
    edm_scalings,
    exponential_schedule,
    precondition,
    sample,
    sample_log_logistic,
)

torch.set_num_threads(1)


def test_scalings_by_hand_at_sigma_one_half() -> None:
    # sigma = sigma_data = 0.5: sigma^2 + sd^2 = 0.5
    c_skip, c_out, c_in, c_noise = edm_scalings(torch.tensor([0.5]))
    assert float(c_skip) == pytest.approx(0.25 / 0.5)
    assert float(c_out) == pytest.approx(0.25 / math.sqrt(0.5))  # 0.353553
    assert float(c_in) == pytest.approx(1.0 / math.sqrt(0.5))  # 1.414214
    assert float(c_noise) == pytest.approx(math.log(0.5) / 4.0)  # -0.173287


def test_scalings_at_sigma_one() -> None:
    c_skip, c_out, c_in, _ = edm_scalings(torch.tensor([1.0]))
    assert float(c_skip) == pytest.approx(0.25 / 1.25)
    assert float(c_out) == pytest.approx(0.5 / math.sqrt(1.25))
    assert float(c_in) == pytest.approx(1.0 / math.sqrt(1.25))


def test_at_sigma_zero_the_denoiser_returns_its_input() -> None:
    x = torch.randn(4, 3, 2)

    def network(x_in: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        assert torch.isfinite(c_noise).all()
        return torch.full_like(x_in, 1e3)

    c_skip, c_out, _, _ = edm_scalings(torch.zeros(1))
    assert float(c_skip) == 1.0 and float(c_out) == 0.0
    torch.testing.assert_close(precondition(network, x, torch.zeros(4)), x)


def test_loss_is_zero_for_the_exact_network() -> None:
    # With every action equal to a, the ideal D is a, so F = (a - c_skip x) / c_out with x = x_in / c_in.
    a = torch.full((5, 1, 2), 0.3)
    sigma = torch.tensor([0.05, 0.1, 0.3, 0.7, 1.0])
    c_skip, c_out, c_in, _ = edm_scalings(sigma)

    def exact(x_in: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        x = x_in / c_in.view(-1, 1, 1)
        return (a - c_skip.view(-1, 1, 1) * x) / c_out.view(-1, 1, 1)

    loss = denoising_loss(exact, a, sigma, torch.randn(5, 1, 2))
    assert float(loss.abs().max()) < 1e-10


def test_exponential_schedule_values() -> None:
    sigmas = exponential_schedule(3, sigma_max=1.0, sigma_min=0.05)
    torch.testing.assert_close(sigmas, torch.tensor([1.0, math.sqrt(0.05), 0.05, 0.0]))
    five = exponential_schedule(5)
    assert five[0] == 1.0 and five[-1] == 0.0 and float(five[-2]) == pytest.approx(0.05)
    ratios = five[1:-1] / five[:-2]  # geometric: a constant ratio 0.05 ** (1/4)
    torch.testing.assert_close(ratios, torch.full((4,), 0.05**0.25))
    with pytest.raises(ValueError):
        exponential_schedule(0)


def test_log_logistic_is_truncated_and_centred() -> None:
    g = torch.Generator().manual_seed(0)
    sigma = sample_log_logistic(20_000, sigma_min=0.05, sigma_max=1.0, generator=g)
    assert float(sigma.min()) >= 0.05 and float(sigma.max()) <= 1.0
    wide = sample_log_logistic(20_000, sigma_min=1e-4, sigma_max=1e4, generator=g)
    assert float(wide.median()) == pytest.approx(0.5, rel=0.05)  # the median of the logistic is its loc


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_samplers_are_deterministic_for_a_seed(sampler: str) -> None:
    def denoise(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return 0.8 * x / (1.0 + sigma[:, None])  # any smooth function

    sigmas = exponential_schedule(4)
    first = sample(denoise, (6, 2), sigmas, sampler, torch.Generator().manual_seed(3))
    again = sample(denoise, (6, 2), sigmas, sampler, torch.Generator().manual_seed(3))
    other = sample(denoise, (6, 2), sigmas, sampler, torch.Generator().manual_seed(4))
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert not torch.allclose(first, other)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_point_mass_data_is_recovered(sampler: str) -> None:
    target = torch.tensor([0.7, -0.2])
    out = sample(lambda x, s: target.expand_as(x), (8, 2), exponential_schedule(3), sampler)
    torch.testing.assert_close(out, target.expand(8, 2))


def test_ddim_step_by_hand() -> None:
    # One DDIM step from sigma 1 to 0.5 with D = 0: x <- (0.5 / 1) x.  Then the last step returns D.
    seen: list[float] = []

    def denoise(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        seen.append(float(sigma[0]))
        return torch.zeros_like(x) if len(seen) == 1 else x * 10

    g = torch.Generator().manual_seed(0)
    x0 = torch.randn((3, 2), generator=torch.Generator().manual_seed(0))
    out = sample(denoise, (3, 2), torch.tensor([1.0, 0.5, 0.0]), "ddim", g)
    assert seen == [1.0, 0.5]
    torch.testing.assert_close(out, 0.5 * x0 * 10)


def test_unknown_sampler_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="ddim, euler, heun"):
        sample(lambda x, s: x, (1, 1), exponential_schedule(2), "lms")


@pytest.mark.parametrize("goal", [True, False])
def test_denoiser_networks_keep_the_action_shape(goal: bool) -> None:
    x, c_noise, context = torch.randn(4, 3, 2), torch.randn(4), torch.randn(4, 5, 6)
    g = torch.cat([torch.randn(4, 2), torch.ones(4, 1)], dim=1) if goal else None
    mlp_net = MLPDenoiser(3 * 2, 5 * 6, 2 if goal else 0, (16,), "relu")
    tf_net = TransformerDenoiser(2, 3, 6, 5, 2 if goal else 0, 8, 2, 1, 0.0)
    assert mlp_net(x, c_noise, context, g).shape == x.shape
    assert tf_net(x, c_noise, context, g).shape == x.shape
