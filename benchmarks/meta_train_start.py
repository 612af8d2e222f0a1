"""How much meta_train's result still resembles where it started, and what parameters
trained from another start achieve: the figures behind `start_resemblance` in
assignments/maml/tests/test_public.py (the threshold 0.3).

    .venv/bin/python benchmarks/meta_train_start.py [STEPS] [SEED ...]

For each seed, the reference trains from its own start; from the first start it trains again
on other task draws (how much a correct meta_train's change can differ from the reference's:
`agreement_with_training`); the first two seeds then stand in for an attacker: the second's trained parameters returned as constants to the first's start, and
two ways of aiming them at it (adding the offline training's change to the start, and a blend).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
HELDOUT_SEED = 999


def load_reference():
    spec = importlib.util.spec_from_file_location(
        "bench_reference_maml", ROOT / "reference" / "maml" / "maml.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_public_tests():
    spec = importlib.util.spec_from_file_location(
        "bench_maml_public", ROOT / "assignments" / "maml" / "tests" / "test_public.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> None:
    torch.set_num_threads(1)
    steps = int(argv[0]) if argv else 2000
    seeds = [int(s) for s in argv[1:]] or [11, 12, 13]
    reference, public = load_reference(), load_public_tests()

    def ratio(params, start):
        return public.heldout_loss(
            reference, [p.detach() for p in params], HELDOUT_SEED
        ) / public.heldout_loss(reference, start, HELDOUT_SEED)

    runs = {}
    for seed in seeds:
        start = [p.detach() for p in reference.init_params(40, torch.Generator().manual_seed(seed))]
        began = time.perf_counter()
        trained = [
            t.detach()
            for t in reference.meta_train(start, steps, generator=torch.Generator().manual_seed(seed + 1))
        ]
        runs[seed] = (start, trained)
        print(
            f"reference from start {seed}: {steps} steps in {time.perf_counter() - began:.1f} s, "
            f"held-out ratio {ratio(trained, start):.3f}, resemblance "
            f"{public.start_resemblance(start, trained):.3f}"
        )
    start, trained = runs[seeds[0]]
    other_draws = [
        t.detach()
        for t in reference.meta_train(start, steps, generator=torch.Generator().manual_seed(seeds[0] + 1000))
    ]
    print(
        f"the reference from start {seeds[0]} with other task draws: agreement with its "
        f"change {public.agreement_with_training(start, other_draws, trained):.3f}, held-out "
        f"ratio {ratio(other_draws, start):.3f}"
    )
    if len(seeds) < 2:
        return
    (start, _), (other_start, other_trained) = runs[seeds[0]], runs[seeds[1]]
    attacks = {
        "constants trained from another start": other_trained,
        "start + (offline trained - offline start)": [
            s + (t - o) for s, t, o in zip(start, other_trained, other_start, strict=True)
        ],
        "blend 0.5 start + 0.5 offline": [
            0.5 * s + 0.5 * t for s, t in zip(start, other_trained, strict=True)
        ],
    }
    for name, params in attacks.items():
        print(
            f"{name}: held-out ratio {ratio(params, start):.3f}, resemblance "
            f"{public.start_resemblance(start, params):.3f}, agreement "
            f"{public.agreement_with_training(start, params, runs[seeds[0]][1]):.3f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
