"""Interactive imitation: simulated interveners, control takeover, the expert's Q, teleoperation.

DAgger, HG-DAgger and RLIF (`mimetic.algorithms.dagger`, `hg_dagger`, `rlif`) are built from these
parts; `mimetic teleop` puts a person at the keyboard in the intervener's place.
"""

from mimetic.interactive.experts import NoisyExpert, make_expert, resolve_expert
from mimetic.interactive.interveners import (
    INTERVENER_RULES,
    ActionDistanceIntervener,
    Intervener,
    RandomIntervener,
    ValueIntervener,
)
from mimetic.interactive.takeover import (
    Takeover,
    expert_segments,
    intervention_rewards,
    intervention_starts,
)
from mimetic.interactive.teleop import ScriptedKeys, person_segments, run_teleop

__all__ = [
    "INTERVENER_RULES",
    "ActionDistanceIntervener",
    "Intervener",
    "NoisyExpert",
    "RandomIntervener",
    "ScriptedKeys",
    "Takeover",
    "ValueIntervener",
    "expert_segments",
    "intervention_rewards",
    "intervention_starts",
    "make_expert",
    "person_segments",
    "resolve_expert",
    "run_teleop",
]
