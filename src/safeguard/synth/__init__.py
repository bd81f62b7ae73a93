"""The synthetic-force generator: a fictional force for the demo, the tests and the benchmarks."""

from safeguard.synth.generator import SIZES, ForceGenerator
from safeguard.synth.load import SeedReport, seed_force

__all__ = ["SIZES", "ForceGenerator", "SeedReport", "seed_force"]
