"""The synthetic-force generator: a fictional force for the demo, the tests and the benchmarks."""

from safeguard.synth.generator import COLUMNS, SIZES, Batch, ForceGenerator, Ids, generate
from safeguard.synth.load import SeedReport, seed_force

__all__ = ["COLUMNS", "SIZES", "Batch", "ForceGenerator", "Ids", "SeedReport", "generate", "seed_force"]
