"""Print qattn's requirements without torch (one per line), for a torch-free test venv.

Used by `make test-py312`: on a second Python version there may be no local CPU torch wheel,
and `pip install torch` from the default index pulls the multi-GB CUDA build. The torch-free
layers (hardware_profiles, qcompile) are tested there instead; see the Makefile.
"""

import tomllib
from pathlib import Path

project = tomllib.loads(Path(__file__).parents[1].joinpath("pyproject.toml").read_text())["project"]
dev = project["optional-dependencies"]["dev"]
for requirement in (*project["dependencies"], *dev):
    name = requirement.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()
    # torch (see above); qiskit-machine-learning and the dev tools the 3.11 run covers.
    if name not in {"torch", "qiskit-machine-learning", "playwright", "qdk", "mypy", "ruff"}:
        print(requirement)
