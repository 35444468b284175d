"""Score-based diffusion for actions: EDM preconditioning, noise levels, schedules and samplers.

The parametrization follows Karras et al. 2022 ("Elucidating the Design Space of Diffusion-Based
Generative Models", EDM, Table 1) as BESO uses it (Reuss et al. 2023, "Goal-Conditioned Imitation
Learning using Score-based Diffusion Policies", survey row #51):

    D(x; sigma) = c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x, c_noise(sigma), ...)

with c_skip = sd^2 / (sigma^2 + sd^2), c_out = sigma sd / sqrt(sigma^2 + sd^2),
c_in = 1 / sqrt(sigma^2 + sd^2), c_noise = ln(sigma) / 4 and sd = sigma_data = 0.5.
The network F is trained on ||F(c_in (a + sigma n)) - (a - c_skip (a + sigma n)) / c_out||^2
with sigma drawn from a truncated log-logistic distribution.

Sampling integrates the probability-flow ODE from sigma_max to 0 along a schedule: DDIM
(= DPM-Solver-1, BESO's default), Euler, or Heun (EDM Algorithm 1).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch
from torch import nn

from mimetic.nn.mlp import mlp

SIGMA_DATA = 0.5
"""Standard deviation of the (normalized) actions the preconditioning assumes: BESO `sigma_data: 0.5`."""
SAMPLERS = ("ddim", "euler", "heun")
# ln(0) is -inf; the network's noise input is clamped here. At sigma = 0, c_out = 0, so the value is unused.
_MIN_NOISE_SIGMA = 1e-8

DenoiseFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""`denoise(x, sigma) -> D(x; sigma)`, with `sigma` a (B,) tensor."""


def edm_scalings(
    sigma: torch.Tensor, sigma_data: float = SIGMA_DATA
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """`(c_skip, c_out, c_in, c_noise)` of EDM Table 1 at noise level `sigma` (any shape)."""
    var = sigma**2 + sigma_data**2
    c_skip = sigma_data**2 / var
    c_out = sigma * sigma_data / var.sqrt()
    c_in = 1.0 / var.sqrt()
    c_noise = sigma.clamp_min(_MIN_NOISE_SIGMA).log() / 4.0
    return c_skip, c_out, c_in, c_noise


def sample_log_logistic(
    n: int,
    loc: float = math.log(SIGMA_DATA),
    scale: float = 0.5,
    sigma_min: float = 0.05,
    sigma_max: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """`n` training noise levels from a log-logistic distribution truncated to [sigma_min, sigma_max].

    BESO (`rand_log_logistic`, loc = ln sigma_data, scale = 0.5): ln sigma is logistic(loc, scale).
    Truncation by inverse-CDF sampling: u ~ U(F(sigma_min), F(sigma_max)), sigma = F^-1(u).
    """

    def cdf(sigma: float) -> float:
        return 1.0 / (1.0 + math.exp(-(math.log(sigma) - loc) / scale))

    low, high = cdf(sigma_min), cdf(sigma_max)
    u = torch.rand(n, generator=generator) * (high - low) + low
    return (loc + scale * torch.logit(u)).exp().clamp(sigma_min, sigma_max)


def exponential_schedule(steps: int, sigma_max: float = 1.0, sigma_min: float = 0.05) -> torch.Tensor:
    """`steps` noise levels exp(linspace(ln sigma_max, ln sigma_min, steps)), then a final 0.

    BESO's `noise_scheduler: exponential` with sigma_max = 1, sigma_min = 0.05 (block push configs).
    One denoising step is one network call (DDIM, Euler) per level, so `steps` is the step count.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    sigmas = torch.linspace(math.log(sigma_max), math.log(sigma_min), steps).exp()
    return torch.cat([sigmas, torch.zeros(1)])


def sample(
    denoise: DenoiseFn,
    shape: tuple[int, ...],
    sigmas: torch.Tensor,
    sampler: str = "ddim",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw x ~ N(0, sigmas[0]^2) of `shape` and integrate the probability-flow ODE down `sigmas` (ending at 0).

    Deterministic given `generator`'s state: the initial noise is the only randomness.
    - "ddim" (DPM-Solver-1, BESO's default): x <- (s'/s) x - (e^-h - 1) D(x; s), h = ln s - ln s'.
    - "euler": x <- x + (s' - s) (x - D(x; s)) / s.
    - "heun": Euler, then the trapezoidal correction with D at s' when s' > 0 (EDM Algorithm 1).
    The last step (to s' = 0) returns D(x; s) in all three.
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler '{sampler}'; valid choices: {', '.join(SAMPLERS)}")
    levels = [float(v) for v in sigmas.tolist()]
    x = torch.randn(shape, generator=generator) * levels[0]
    batch = shape[0]
    for s, s_next in zip(levels[:-1], levels[1:], strict=True):
        denoised = denoise(x, torch.full((batch,), s))
        if s_next == 0.0:
            x = denoised
        elif sampler == "ddim":
            h = math.log(s) - math.log(s_next)
            x = (s_next / s) * x - math.expm1(-h) * denoised
        else:
            d = (x - denoised) / s
            x_euler = x + (s_next - s) * d
            if sampler == "euler":
                x = x_euler
            else:
                d_next = (x_euler - denoise(x_euler, torch.full((batch,), s_next))) / s_next
                x = x + (s_next - s) * (d + d_next) / 2.0
    return x


def precondition(
    network: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    sigma: torch.Tensor,
    sigma_data: float = SIGMA_DATA,
) -> torch.Tensor:
    """D(x; sigma) = c_skip x + c_out F(c_in x, c_noise); `x` is (B, ...), `sigma` (B,)."""
    view = (-1,) + (1,) * (x.dim() - 1)
    c_skip, c_out, c_in, c_noise = edm_scalings(sigma, sigma_data)
    return c_skip.view(view) * x + c_out.view(view) * network(c_in.view(view) * x, c_noise)


def denoising_loss(
    network: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    actions: torch.Tensor,
    sigma: torch.Tensor,
    noise: torch.Tensor,
    sigma_data: float = SIGMA_DATA,
) -> torch.Tensor:
    """Per-sample BESO loss ||F(c_in (a + sigma n), c_noise) - (a - c_skip (a + sigma n)) / c_out||^2 (mean over dims)."""
    view = (-1,) + (1,) * (actions.dim() - 1)
    c_skip, c_out, c_in, c_noise = edm_scalings(sigma, sigma_data)
    noised = actions + sigma.view(view) * noise
    target = (actions - c_skip.view(view) * noised) / c_out.view(view)
    out = network(c_in.view(view) * noised, c_noise)
    return (out - target).pow(2).flatten(1).mean(dim=1)


@functools.cache
def _frequencies(half: int) -> torch.Tensor:
    # Geometric frequencies from 10 down to 0.1: c_noise spans about [-0.75, 0] for sigma in [0.05, 1].
    return 10.0 * torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(100.0) / max(half - 1, 1)))


def noise_features(c_noise: torch.Tensor, size: int) -> torch.Tensor:
    """Sinusoidal features of the scalar noise input (B,) -> (B, size), as diffusion nets embed time."""
    if size < 2 or size % 2:
        raise ValueError(f"noise feature size must be even and positive, got {size}")
    angles = c_noise[:, None] * _frequencies(size // 2)[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class MLPDenoiser(nn.Module):
    """F as an MLP on [noised action chunk, noise features, observation window, goal, goal flag].

    The fast option of the issue; BESO itself uses the transformer below.
    """

    def __init__(
        self,
        action_size: int,
        context_size: int,
        goal_size: int,
        hidden_sizes: tuple[int, ...],
        activation: str,
        noise_size: int = 16,
    ) -> None:
        super().__init__()
        self.noise_size = noise_size
        in_dim = action_size + noise_size + context_size + goal_size + (1 if goal_size else 0)
        self.net = mlp(in_dim, hidden_sizes, action_size, activation)

    def forward(
        self, x: torch.Tensor, c_noise: torch.Tensor, context: torch.Tensor, goal: torch.Tensor | None
    ) -> torch.Tensor:
        """`x` (B, K, A), `context` (B, W, S), `goal` (B, G) or None, zeroed rows where dropped, with
        `keep` as its last column. Returns (B, K, A)."""
        parts = [x.flatten(1), noise_features(c_noise, self.noise_size), context.flatten(1)]
        if goal is not None:
            parts.append(goal)
        return self.net(torch.cat(parts, dim=1)).view(x.shape)


class TransformerDenoiser(nn.Module):
    """F as a small transformer (BESO's "DiffusionGPT", scaled down): tokens for the noise level, the goal
    (a learned null token when dropped), each observation of the window and each noised action; the
    outputs at the action tokens are the predictions. Attention is bidirectional over this short sequence."""

    def __init__(
        self,
        action_dim: int,
        chunk: int,
        state_dim: int,
        window: int,
        goal_dim: int,
        d_model: int,
        num_heads: int,
        num_layers: int,
        dropout: float,
        noise_size: int = 16,
    ) -> None:
        super().__init__()
        self.noise_size = noise_size
        self.noise_embed = nn.Linear(noise_size, d_model)
        self.obs_embed = nn.Linear(state_dim, d_model)
        self.act_embed = nn.Linear(action_dim, d_model)
        self.goal_embed = nn.Linear(goal_dim, d_model) if goal_dim else None
        self.null_goal = nn.Parameter(torch.zeros(d_model)) if goal_dim else None
        tokens = 1 + (1 if goal_dim else 0) + window + chunk
        self.position = nn.Parameter(torch.randn(tokens, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, num_heads, 4 * d_model, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, action_dim)
        self.chunk = chunk

    def forward(
        self, x: torch.Tensor, c_noise: torch.Tensor, context: torch.Tensor, goal: torch.Tensor | None
    ) -> torch.Tensor:
        tokens = [self.noise_embed(noise_features(c_noise, self.noise_size))[:, None]]
        if goal is not None and self.goal_embed is not None and self.null_goal is not None:
            keep = goal[:, -1:]
            goal_token = keep * self.goal_embed(goal[:, :-1]) + (1.0 - keep) * self.null_goal
            tokens.append(goal_token[:, None])
        tokens += [self.obs_embed(context), self.act_embed(x)]
        h = torch.cat(tokens, dim=1) + self.position
        h = self.norm(self.blocks(h))
        return self.out(h[:, -self.chunk :])
