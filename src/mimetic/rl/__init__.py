"""The shared RL engine: rollout collection apart from updates; advantage estimation; replay."""
