#!/usr/bin/env bash
# Creates the venv benchmarks/peers/imitation_adversarial.py runs in: imitation 1.0.1 on the MuJoCo v5
# envs. imitation pins gymnasium ~=0.29 and stable-baselines3 ~=2.2.1, which have no v5 envs, so it is
# installed without its pins beside the gymnasium, MuJoCo and SB3 versions mimetic runs with, plus the
# modules it imports (tensorboard, tqdm). Idempotent. Benchmarks only: mimetic never needs it.
set -euo pipefail
VENV="${VENV:-$HOME/.cache/mimetic-anchors/imitation-v5}"
PY="${PYTHON:-python3.11}"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/pip"
"$PIP" install -q --upgrade pip wheel
# torch first: torch==2.13.0 resolves to the local CPU wheel; anything torch-dependent first pulls CUDA.
"$PIP" install -q torch==2.13.0
"$PIP" install -q "gymnasium[mujoco]==1.4.0" "mujoco==3.3.0" "stable-baselines3==2.9.2" tensorboard tqdm
"$PIP" install -q --no-deps "imitation==1.0.1"
"$VENV/bin/python" - <<'PY'
import gymnasium, imitation, stable_baselines3
from imitation.algorithms.adversarial import airl, gail  # noqa: F401
gymnasium.make("Hopper-v5").close()
print("ok: imitation", imitation.__version__, "| sb3", stable_baselines3.__version__, "| gymnasium", gymnasium.__version__)
PY
