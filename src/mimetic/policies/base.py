"""The `Policy` protocol every expert and learned policy satisfies."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Policy(Protocol):
    """A batched policy.

    `obs` has a leading batch axis (dict observations: every leaf does). Recurrent and diffusion
    policies carry what they remember in `state`, which `reset(batch_size)` creates; stateless
    policies return None for it.
    """

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]: ...

    def reset(self, batch_size: int) -> Any: ...
