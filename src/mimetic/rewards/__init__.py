"""Learned rewards: adversarial discriminators (GAIL, AIRL), rewards recovered from soft Q-functions
(IQ-Learn), saved and loaded as `RewardFn`s, and plotted over a slice of the state space."""

from mimetic.rewards.learned import LearnedReward, load_reward

__all__ = ["LearnedReward", "load_reward"]
