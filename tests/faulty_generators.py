"""Generators that fail on purpose, for fault-injection tests; importable by Spark's Python workers.

The sampling tasks rebuild the generator from its artifact with the class named in the
task's loader string (``module:ClassName``), so a subclass defined here runs on the
workers when ``tests/`` is on their ``PYTHONPATH``.
"""
from __future__ import annotations

import os
from pathlib import Path

from genesis_spark.synth.generator import SyntheticGenerator

#: Folder where each failed task attempt leaves a marker file (set by the test in the workers' environment).
MARKER_DIR_ENV = "FAULTY_GENERATOR_MARKERS"

_blocks_in_attempt: dict[tuple[int, int, int], int] = {}


class FirstAttemptFailingGenerator(SyntheticGenerator):
    """A generator whose second block in the first attempt of every task raises, after leaving a marker."""

    def generate_block(self, block_index, block_size, seed, *args, **kwargs):
        from pyspark import TaskContext

        context = TaskContext.get()
        if context is not None and context.attemptNumber() == 0:
            key = (context.stageId(), context.partitionId(), context.attemptNumber())
            _blocks_in_attempt[key] = _blocks_in_attempt.get(key, 0) + 1
            if _blocks_in_attempt[key] == 2:  # the first block was yielded: fail mid-task
                marker = f"stage{key[0]}-partition{key[1]}"
                (Path(os.environ[MARKER_DIR_ENV]) / marker).write_text("failed once\n", encoding="utf-8")
                raise RuntimeError(f"injected failure on the first attempt of {marker}")
        return super().generate_block(block_index, block_size, seed, *args, **kwargs)
