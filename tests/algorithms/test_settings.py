"""`apply_settings`: the `FIELD=VALUE` strings of `mimetic train ... --set`, read for each field's type."""

from __future__ import annotations

import pytest

from mimetic.algorithms.base import SettingError, apply_settings
from mimetic.algorithms.bc import Config as BCConfig
from mimetic.algorithms.dac import airl_sac_preset


def test_settings_reach_nested_fields_with_their_types() -> None:
    preset = airl_sac_preset("Hopper-v5")
    config = apply_settings(
        preset,
        [
            "disc_every=3",
            "sac.actor_lr=1e-4",
            "disc_hidden_sizes=64, 32",
            "sac.buffer_size=1e5",
            "reward_log_pi=true",
            "sac.batch_size=128",
        ],
    )
    assert config.disc_every == 3 and isinstance(config.disc_every, int)
    assert config.sac.actor_lr == pytest.approx(1e-4)
    assert config.disc_hidden_sizes == (64, 32)
    assert config.sac.buffer_size == 100_000 and isinstance(config.sac.buffer_size, int)
    assert config.reward_log_pi is True
    assert config.sac.batch_size == 128
    # the preset itself is untouched, and so are the fields no setting named
    assert preset == airl_sac_preset("Hopper-v5") and preset.sac.actor_lr != pytest.approx(1e-4)
    assert config.sac.critic_lr == preset.sac.critic_lr and config.grad_penalty == preset.grad_penalty


def test_later_settings_win_and_optional_fields_take_none() -> None:
    config = apply_settings(BCConfig(), ["max_episodes=3", "batch_size=7", "batch_size=9"])
    assert (config.max_episodes, config.batch_size) == (3, 9)
    assert apply_settings(config, ["max_episodes=none"]).max_episodes is None
    assert apply_settings(config, "batch_size=11").batch_size == 11  # one string is one setting


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("disc_every", "expected FIELD=VALUE"),
        ("=2", "expected FIELD=VALUE"),
        ("disc_everyy=2", "no field 'disc_everyy'"),
        ("disc_every=2.5", "expected int, found '2.5'"),
        ("disc_every=two", "expected int, found 'two'"),
        ("reward_log_pi=maybe", "expected true or false"),
        ("sac=1", "is a nested config"),
        ("disc_every.x=1", "is not a nested config"),
        ("sac.learning_rate=1e-4", "SACConfig has no field 'learning_rate'"),
        ("disc_hidden_sizes=64,x", "expected int, found 'x'"),
    ],
)
def test_bad_settings_name_the_setting_and_what_was_expected(setting: str, message: str) -> None:
    with pytest.raises(SettingError, match=message) as err:
        apply_settings(airl_sac_preset("Hopper-v5"), [setting])
    assert str(err.value).startswith(f"--set {setting}")
