from __future__ import annotations

from pathlib import Path

import numpy as np
from gymnasium import spaces

from mimetic.data import Dataset, DatasetMetadata, Trajectory, validate
from tests.builders import make_array_dataset, make_dict_dataset


def _with_episode(ds: Dataset, index: int, traj: Trajectory) -> Dataset:
    episodes = list(ds.episodes)
    episodes[index] = traj
    return Dataset(episodes, ds.metadata, ds.path)


def test_clean_data_has_no_problems() -> None:
    assert validate(make_array_dataset(), env="CartPole-v1") == []
    assert validate(make_dict_dataset()) == []


def test_empty_dataset() -> None:
    problems = validate(Dataset([]))
    assert [p.field for p in problems] == ["episodes"]


def test_nan_in_observations_names_episode_field_and_step() -> None:
    ds = make_array_dataset()
    obs = np.array(ds[1].obs)
    obs[3, 2] = np.nan
    bad = _with_episode(ds, 1, Trajectory(obs=obs, acts=ds[1].acts, rews=ds[1].rews, terminated=True))
    problems = validate(bad)
    assert len(problems) == 1
    assert (problems[0].episode, problems[0].field) == (1, "obs")
    assert "first at step 3" in str(problems[0])


def test_inf_in_dict_observation_leaf() -> None:
    ds = make_dict_dataset()
    obs = {k: np.array(v) for k, v in ds[0].obs.items()}
    obs["observation"][0, 0] = np.inf
    bad = _with_episode(ds, 0, Trajectory(obs=obs, acts=ds[0].acts, truncated=True))
    [problem] = validate(bad)
    assert problem.field == "obs/observation" and problem.episode == 0


def test_action_outside_discrete_space() -> None:
    ds = make_array_dataset()
    acts = np.array(ds[2].acts)
    acts[4] = 2
    bad = _with_episode(ds, 2, Trajectory(obs=ds[2].obs, acts=acts, rews=ds[2].rews, terminated=True))
    [problem] = validate(bad, env="CartPole-v1")
    assert (problem.episode, problem.field) == (2, "acts")
    assert "1 action(s) outside the action space, first at step 4" in problem.message
    assert problem.found == "2"


def test_action_outside_box_and_wrong_shape_and_dtype() -> None:
    ds = make_dict_dataset()
    acts = np.array(ds[0].acts)
    acts[1, 0] = 1.5
    out_of_box = _with_episode(ds, 0, Trajectory(obs=ds[0].obs, acts=acts, truncated=True))
    assert "outside the action space" in validate(out_of_box)[0].message

    wrong_shape = _with_episode(ds, 0, Trajectory(obs=ds[0].obs, acts=np.zeros((4, 3), np.float32)))
    [problem] = validate(wrong_shape)
    assert problem.message == "wrong shape" and problem.expected == "(4, 2)" and problem.found == "(4, 3)"

    wrong_dtype = _with_episode(ds, 0, Trajectory(obs=ds[0].obs, acts=np.zeros((4, 2), np.int64)))
    [problem] = validate(wrong_dtype)
    assert problem.message == "wrong dtype" and problem.found == "int64"


def test_spaces_that_do_not_match_the_env() -> None:
    ds = make_dict_dataset()
    problems = validate(ds, env="CartPole-v1")
    fields = {p.field for p in problems if p.message == "dataset space does not match the env"}
    assert fields == {"observation_space", "action_space"}


def test_missing_dict_key() -> None:
    space = spaces.Dict({"a": spaces.Box(-1, 1, (1,)), "b": spaces.Box(-1, 1, (1,))})
    traj = Trajectory(obs={"a": np.zeros((2, 1), np.float32)}, acts=np.zeros(1))
    [problem] = validate(Dataset([traj], DatasetMetadata(observation_space=space)))
    assert problem.message == "observation keys differ"


def test_terminated_and_truncated_together() -> None:
    traj = Trajectory(
        obs=np.zeros((2, 4), np.float32), acts=np.zeros(1, np.int64), terminated=True, truncated=True
    )
    [problem] = validate(Dataset([traj]))
    assert problem.field == "terminated"


def test_problem_line_names_file() -> None:
    ds = make_array_dataset()
    obs = np.array(ds[0].obs)
    obs[0, 0] = np.nan
    bad = Dataset([Trajectory(obs=obs, acts=ds[0].acts)], path=Path("x.npz"))
    text = str(validate(bad)[0])
    assert text.startswith("x.npz, episode 0, field 'obs': 1 non-finite value(s)")
