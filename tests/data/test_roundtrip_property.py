"""Property test: random trajectories survive every format bit for bit."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mimetic
from mimetic.data import Dataset, DatasetMetadata, Trajectory

FORMATS = {"npz": "d.npz", "robomimic": "d.hdf5", "lerobot": "d-lerobot", "minari": "ns/d-v0"}

_float_dtypes = st.sampled_from([np.float32, np.float64])
_dims = st.integers(1, 3)


@st.composite
def trajectories(
    draw: st.DrawFn,
    dict_obs: bool,
    obs_dtype: type,
    act_dtype: type,
    obs_dim: int,
    act_dim: int,
    with_rews: bool,
) -> Trajectory:
    steps = draw(st.integers(1, 6))
    finite = {"allow_nan": False, "allow_infinity": False, "width": 32}
    obs_arr = hnp.arrays(obs_dtype, (steps + 1, obs_dim), elements=st.floats(-1e3, 1e3, **finite))
    obs = {"pos": draw(obs_arr), "goal": draw(obs_arr)} if dict_obs else draw(obs_arr)
    if act_dtype is np.int64:
        acts = draw(hnp.arrays(np.int64, (steps,), elements=st.integers(0, 4)))
    else:
        acts = draw(hnp.arrays(np.float32, (steps, act_dim), elements=st.floats(-1, 1, width=32)))
    rews = draw(hnp.arrays(np.float64, (steps,), elements=st.floats(-10, 10))) if with_rews else None
    ending = draw(st.sampled_from([(True, False), (False, True), (False, False)]))
    return Trajectory(
        obs=obs,
        acts=acts,
        rews=rews,
        terminated=ending[0],
        truncated=ending[1],
        extras={"flag": draw(hnp.arrays(np.bool_, (steps,)))},
        infos={"step": np.arange(steps + 1, dtype=np.int64)},
    )


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    spec = {
        "dict_obs": draw(st.booleans()),
        "obs_dtype": draw(_float_dtypes),
        "act_dtype": draw(st.sampled_from([np.int64, np.float32])),
        "obs_dim": draw(_dims),
        "act_dim": draw(_dims),
        "with_rews": draw(st.booleans()),
    }
    episodes = draw(st.lists(trajectories(**spec), min_size=1, max_size=3))
    return Dataset(episodes, DatasetMetadata(env_id="Random-v0", source="hypothesis"))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_every_format_round_trips_random_data(fmt: str, ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FORMATS[fmt]
        mimetic.save(ds, path, format=fmt)
        back = mimetic.load(path)
    assert back.equals(ds)
