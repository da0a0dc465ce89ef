"""Cross-process locks of a local lakehouse folder and the sweep of temporary files killed runs left."""
from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Iterator, Sequence

from genesis_spark.delta.tables import is_catalog_name
from genesis_spark.pipeline.context import StagedFile

try:  # POSIX only: elsewhere runs go without lakehouse locks
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

#: Orphans (staging folders, temporary files) younger than this may belong to a run in progress: kept,
#: unless the lakehouse's locks show that no other run is alive and a killed run left them.
ORPHAN_MIN_AGE_S = 3600.0


class LakehouseLocks:
    """Cross-process locks of one local lakehouse folder, under ``<lakehouse>/.genesis/`` (POSIX ``flock``).

    Every run holds a presence lock for its whole duration (``active/<pid>-<id>.lock``); a commit holds
    ``commit.lock``, so one run at a time claims its run id and commits its tables. The kernel drops a
    killed process's locks, so a presence file whose lock can be taken is the trace of a killed run:
    its leftovers are orphans, swept at once when no other run is alive.

    Example::

        locks = LakehouseLocks.enter("lake")
        with locks.commit():
            alive, dead = locks.others()
        locks.exit()
    """

    def __init__(self, folder: Path, own: Path, handle: int, created_lakehouse: bool = False) -> None:
        self.folder, self._own, self._handle = folder, own, handle
        self._created_lakehouse = created_lakehouse

    @classmethod
    def enter(cls, lakehouse: str) -> "LakehouseLocks | None":
        """Take this run's presence lock; None where locks do not apply (URLs, catalogs, no ``fcntl``) or fail."""
        if fcntl is None or "://" in lakehouse or is_catalog_name(lakehouse):
            return None
        active = Path(lakehouse) / ".genesis" / "active"
        created = not Path(lakehouse).exists()
        name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for _ in range(3):  # another run's exit may remove the empty folders meanwhile
            handle = None
            try:
                active.mkdir(parents=True, exist_ok=True)
                fresh = active / f"{name}.new"  # locked before it gets the name others look at
                handle = os.open(fresh, os.O_CREAT | os.O_RDWR, 0o644)
                fcntl.flock(handle, fcntl.LOCK_EX)
                own = active / f"{name}.lock"
                os.replace(fresh, own)
                return cls(active.parent, own, handle, created)
            except FileNotFoundError:
                if handle is not None:
                    os.close(handle)
                continue
            except OSError as exc:
                if handle is not None:
                    os.close(handle)
                logger.warning("no run locks under %s (%s): concurrent runs rely on the commit-time check only",
                               lakehouse, exc)
                return None
        logger.warning("no run locks under %s: its lock folder kept vanishing", lakehouse)
        return None

    def exit(self) -> None:
        """Drop this run's presence lock (and its file); folders left empty go too (a run that wrote nothing)."""
        with contextlib.suppress(OSError):
            self._own.unlink()
        with contextlib.suppress(OSError):
            os.close(self._handle)
        folders = (self.folder / "active", self.folder) + ((self.folder.parent,) if self._created_lakehouse else ())
        for folder in folders:
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break

    @contextlib.contextmanager
    def commit(self) -> Iterator[None]:
        """Hold the lakehouse's commit lock (waiting for another run's commit to end)."""
        handle = os.open(self.folder / "commit.lock", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info("waiting for another run's commit to the lakehouse %s", self.folder.parent)
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing drops the lock

    def others(self) -> tuple[bool, list[Path]]:
        """``(another run is alive, presence files of killed runs)``."""
        alive, dead = False, []
        for entry in sorted((self.folder / "active").iterdir()):
            if entry == self._own or entry.suffix not in (".lock", ".new"):
                continue
            try:
                if entry.suffix == ".new" and time.time() - entry.stat().st_mtime < 60:
                    alive = True  # a run taking its presence lock right now
                    continue
                handle = os.open(entry, os.O_RDWR)
            except FileNotFoundError:  # its run just ended
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                dead.append(entry)
            except BlockingIOError:
                alive = True
            finally:
                os.close(handle)
        return alive, dead


def sweep_temp_files(staged: Sequence[StagedFile], min_age_seconds: float) -> list[str]:
    """Remove temporary files (or Spark CSV folders) of earlier runs beside this run's file targets; never raises.

    They are named ``.<target name>.<8 hex>.tmp<suffix>`` (``RunContext.stage_file``), and a Spark CSV write
    into one of them keeps its part files in ``..<that name>.<8 hex>.parts`` (``SparkEngine.write_csv``);
    this run's own are kept.
    """
    own = {s.temp_path.name for s in staged}
    removed = []
    now = time.time()
    for final in dict.fromkeys(s.final_path for s in staged):
        pattern = re.compile(rf"^\.\.?{re.escape(final.name)}\.[0-9a-f]{{8}}\.tmp")
        try:
            for entry in final.parent.iterdir():
                if entry.name in own or any(entry.name.startswith(f".{name}.") for name in own) \
                        or not pattern.match(entry.name):
                    continue
                if now - entry.lstat().st_mtime < min_age_seconds:
                    continue
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                removed.append(str(entry))
        except OSError:  # housekeeping must never fail a run
            logger.warning("could not sweep temporary files beside %s", final, exc_info=True)
    if removed:
        logger.info("removed %d temporary files left by earlier runs: %s", len(removed), ", ".join(removed))
    return removed
