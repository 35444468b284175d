"""The one table of reference returns (random and expert) that normalized scores are computed from.

`expert_normalized_score = (R - R_random) / (R_expert - R_random)`: 0 is a uniformly random policy,
1 is the expert. Every number says where it comes from; the random returns are measured by
`scripts/reference_returns.py` (uniform random actions, 100 episodes seeded 10000..10099).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReferenceReturns:
    random: float
    expert: float
    source: str


REFERENCE_RETURNS: dict[str, ReferenceReturns] = {
    "CartPole-v1": ReferenceReturns(
        random=22.6,
        expert=500.0,
        source="random: scripts/reference_returns.py; expert: the 500-step time limit, which the scripted "
        "expert (mimetic.experts.scripted.CartPoleExpert) reaches on every seed",
    ),
    "Acrobot-v1": ReferenceReturns(
        random=-499.6,
        expert=-75.7,
        source="random: scripts/reference_returns.py; expert: the zoo's PPO expert, 50 episodes "
        "(src/mimetic/experts/zoo/Acrobot-v1/expert/zoo.json)",
    ),
    "HalfCheetah-v5": ReferenceReturns(
        random=-281.1,
        expert=6381.1,
        source="random: uniform actions, 50 episodes seeded 100000..100049 (scripts/build_zoo.py); expert: "
        "the zoo's SAC expert, same seeds (src/mimetic/experts/zoo/HalfCheetah-v5/expert/zoo.json)",
    ),
    "Hopper-v5": ReferenceReturns(
        random=16.5,
        expert=3299.9,
        source="random: uniform actions, 50 episodes seeded 100000..100049 (scripts/build_zoo.py); expert: "
        "the zoo's SAC expert, same seeds (src/mimetic/experts/zoo/Hopper-v5/expert/zoo.json)",
    ),
    "Walker2d-v5": ReferenceReturns(
        random=0.6,
        expert=4059.8,
        source="random: uniform actions, 50 episodes seeded 100000..100049 (scripts/build_zoo.py); expert: "
        "the zoo's SAC expert, same seeds (src/mimetic/experts/zoo/Walker2d-v5/expert/zoo.json)",
    ),
    "MountainCar-v0": ReferenceReturns(
        random=-200.0,
        expert=-120.15,
        source="random: scripts/reference_returns.py (no random episode reaches the flag); expert: the "
        "scripted MountainCarExpert, 20 episodes seeded 0..19",
    ),
    "Pendulum-v1": ReferenceReturns(
        random=-1171.8,
        expert=-130.2,
        source="random: scripts/reference_returns.py; expert: SB3 SAC expert, 20 episodes, "
        "../shared/anchors/imitation/RESULTS.md",
    ),
}


def expert_normalized_score(env_id: str, ret: float) -> float | None:
    """Normalize a return with the reference table; None for envs not in it."""
    ref = REFERENCE_RETURNS.get(env_id)
    if ref is None:
        return None
    return (ret - ref.random) / (ref.expert - ref.random)
