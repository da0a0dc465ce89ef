"""Progress bars: on by default when stderr is a terminal (training epochs, Spark sampling rounds), quiet in CI
and logs, and ``config['verbose']`` forces them on or off."""
from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap

import pytest

from genesis_spark.synth.config import progress_enabled, resolve_config

MARK = "@@next@@"

#: Fits a tiny generator once per phase, a marker line on stderr between phases; phases: (verbose, CI env value).
TRAIN = textwrap.dedent(f"""
    import os, sys
    import numpy as np, pandas as pd, torch
    torch.set_num_threads(1)
    from genesis_spark.synth.generator import SyntheticGenerator
    rng = np.random.default_rng(0)
    df = pd.DataFrame({{"a": rng.normal(size=60), "b": rng.choice(list("xyz"), 60)}})
    for verbose, ci in eval(sys.argv[1]):
        os.environ.pop("CI", None) if ci is None else os.environ.__setitem__("CI", ci)
        config = {{"epochs": 3, "batch_size": 20, "embedding_dim": 8, "generator_dim": (16,),
                  "discriminator_dim": (16,), "calibrate_states": False, "verbose": verbose}}
        SyntheticGenerator("ctgan", config).fit(df)
        sys.stderr.write("{MARK}\\n"); sys.stderr.flush()
""")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    return env


def _train_on_pty(phases: list) -> list[str]:
    """Run the phases in a subprocess whose stderr is a pseudo-terminal; the stderr text of each phase."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # 120 columns, as a real terminal
    proc = subprocess.Popen([sys.executable, "-c", TRAIN, repr(phases)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave, env=_env())
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=180) == 0, b"".join(chunks).decode(errors="replace")[-2000:]
    return b"".join(chunks).decode(errors="replace").split(MARK)[:len(phases)]


def _train_on_pipe(phases: list) -> list[str]:
    done = subprocess.run([sys.executable, "-c", TRAIN, repr(phases)], capture_output=True, text=True, env=_env(),
                          timeout=180, check=True)
    return done.stderr.split(MARK)[:len(phases)]


@pytest.fixture(scope="module")
def on_pty() -> dict[str, str]:
    phases = {"auto": (None, None), "off": (False, None), "ci": (None, "true"), "ci_forced_on": (True, "true")}
    return dict(zip(phases, _train_on_pty(list(phases.values()))))


@pytest.fixture(scope="module")
def on_pipe() -> dict[str, str]:
    phases = {"auto": (None, None), "on": (True, None)}
    return dict(zip(phases, _train_on_pipe(list(phases.values()))))


def _has_epoch_bar(text: str) -> bool:
    return "CTGAN" in text and "3/3" in text and "generator=" in text and "discriminator=" in text


def test_training_bar_with_losses_by_default_on_a_terminal(on_pty):
    assert _has_epoch_bar(on_pty["auto"]), on_pty["auto"]


def test_no_training_bar_when_verbose_false_on_a_terminal(on_pty):
    assert "CTGAN" not in on_pty["off"] and "%|" not in on_pty["off"]


def test_no_training_bar_in_ci_unless_forced(on_pty):
    assert "CTGAN" not in on_pty["ci"]
    assert _has_epoch_bar(on_pty["ci_forced_on"])


def test_no_training_bar_into_a_pipe_unless_forced(on_pipe):
    assert "CTGAN" not in on_pipe["auto"] and "%|" not in on_pipe["auto"]
    assert _has_epoch_bar(on_pipe["on"])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_enabled_rules(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert progress_enabled(None, _Terminal()) and not progress_enabled(None, io.StringIO())
    assert progress_enabled(True, io.StringIO()) and not progress_enabled(False, _Terminal())
    monkeypatch.setenv("CI", "true")
    assert not progress_enabled(None, _Terminal()) and progress_enabled(True, _Terminal())
    monkeypatch.setenv("CI", "false")  # CI=false is not CI
    assert progress_enabled(None, _Terminal())


def test_verbose_accepts_none_true_false_only():
    assert resolve_config(None)["verbose"] is None
    assert resolve_config({"verbose": True})["verbose"] is True
    with pytest.raises(TypeError, match=r"config\['verbose'\] must be None .*True or False, got 'yes'"):
        resolve_config({"verbose": "yes"})


# ------------------------------------------------------------------------------------------ Spark sampling rounds
@pytest.fixture(scope="module")
def generator(fraud_rows):
    from genesis_spark.synth.generator import SyntheticGenerator

    config = {"epochs": 2, "batch_size": 100, "seed": 5, "device": "cpu", "verbose": False}
    return SyntheticGenerator("ctgan", config).fit(fraud_rows, discrete_columns=["merchant_category"])


def _sample(spark, generator, stream) -> str:
    """What ``sample_accepted`` writes to stderr (``stream``) while drawing 300 rows in blocks of 128."""
    from genesis_spark.spark.sampling import SamplingConfig, sample_accepted

    schema = spark.createDataFrame(generator.generate(5, seed=0)).schema
    with contextlib.redirect_stderr(stream):
        result = sample_accepted(spark, generator, schema, 300, 11, None, SamplingConfig(block_size=128))
    assert result.rows.count() == 300
    result.unpersist()
    return stream.getvalue()


def test_spark_sampling_bar_shows_rows_accepted_on_a_terminal(spark, generator, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setitem(generator.config_, "verbose", None)  # auto, as the default config
    text = _sample(spark, generator, _Terminal())
    assert "sampling" in text and "300/300" in text and "rounds=1" in text and "acceptance=" in text


def test_spark_sampling_is_quiet_into_a_log_or_when_verbose_false(spark, generator, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setitem(generator.config_, "verbose", None)
    assert not _has_bar(_sample(spark, generator, io.StringIO()))
    monkeypatch.setitem(generator.config_, "verbose", False)
    assert not _has_bar(_sample(spark, generator, _Terminal()))


def _has_bar(text: str) -> bool:
    """A tqdm sampling bar in ``text`` (log lines that an earlier test's handler writes to stderr are not one)."""
    return "300/300" in text or "%|" in text or "rounds=" in text
