#!/usr/bin/env bash
# Build the genesis_spark wheel and a packed Python environment, then spark-submit jobs/augment.py.
#
#   deploy/spark-submit/submit.sh [options] -- --config FILE.yaml [--run-id N] [--set key=value ...]
#
# Everything after `--` is passed to jobs/augment.py unchanged. See deploy/spark-submit/README.md.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: submit.sh [options] -- --config FILE.yaml [--run-id N] [--set key=value ...]

Builds the genesis_spark wheel, packs a Python environment with venv-pack and runs
`spark-submit jobs/augment.py` with the environment shipped as --archives.

Options:
  --master URL          Spark master (default: $SPARK_MASTER or local[2]); e.g. yarn,
                        k8s://https://HOST:443, spark://HOST:7077
  --deploy-mode MODE    client (default) or cluster
  --local               Run with the local interpreter ($PYTHON) on driver and executors;
                        skips packing (for local[*] masters and quick checks)
  --python PATH         Interpreter that builds the wheel and runs a client-mode driver
                        (default: $PYTHON, else <repo>/.venv/bin/python, else python3)
  --work-dir DIR        Where the wheel, the environment and env.tar.gz go
                        (default: <repo>/dist/spark-submit)
  --env-dir DIR         Virtualenv to install the wheel into and pack (created if missing;
                        default: WORK_DIR/env)
  --env-archive FILE    Ship this already packed environment (skips building the environment)
  --python-prefix DIR   Where Python lives on the cluster nodes (venv-pack --python-prefix);
                        default: the same prefix as this machine's interpreter
  --pip-args "ARGS"     Extra arguments for `pip install WHEEL` into the environment
                        (e.g. "--no-deps", "--index-url https://mirror/simple")
  --delta               Add the Delta Lake jars with --packages (needs Maven access) and the
                        Delta SQL extension/catalog; off by default (the job's embedded sink
                        writes Delta without jars)
  --delta-package COORD Maven coordinate for --delta (default: derived from the installed
                        pyspark and delta-spark, e.g. io.delta:delta-spark_4.2_2.13:4.4.1)
  --conf KEY=VALUE      Extra Spark conf (repeatable)
  --job FILE            The application to submit (default: <repo>/jobs/augment.py)
  --pack-only           Build the wheel and env.tar.gz, print their paths, do not submit
  --dry-run             Print the spark-submit command instead of running it
  -h, --help            This text

Environment: SPARK_HOME (its bin/spark-submit is used when set), SPARK_MASTER, PYTHON.
EOF
}

die() { echo "submit.sh: $*" >&2; exit 2; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MASTER="${SPARK_MASTER:-local[2]}"
DEPLOY_MODE="client"
LOCAL=0
PYTHON_BIN="${PYTHON:-}"
WORK_DIR=""
ENV_DIR=""
ENV_ARCHIVE=""
PIP_ARGS=""
PYTHON_PREFIX=""
DELTA=0
DELTA_PACKAGE=""
PACK_ONLY=0
DRY_RUN=0
EXTRA_CONF=()
JOB_ARGS=()
JOB_FILE=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --master) MASTER="${2:?--master needs a value}"; shift 2 ;;
        --deploy-mode) DEPLOY_MODE="${2:?--deploy-mode needs a value}"; shift 2 ;;
        --local) LOCAL=1; shift ;;
        --python) PYTHON_BIN="${2:?--python needs a value}"; shift 2 ;;
        --work-dir) WORK_DIR="${2:?--work-dir needs a value}"; shift 2 ;;
        --env-dir) ENV_DIR="${2:?--env-dir needs a value}"; shift 2 ;;
        --env-archive) ENV_ARCHIVE="${2:?--env-archive needs a value}"; shift 2 ;;
        --python-prefix) PYTHON_PREFIX="${2:?--python-prefix needs a value}"; shift 2 ;;
        --pip-args) PIP_ARGS="${2?--pip-args needs a value}"; shift 2 ;;
        --delta) DELTA=1; shift ;;
        --delta-package) DELTA=1; DELTA_PACKAGE="${2:?--delta-package needs a value}"; shift 2 ;;
        --conf) EXTRA_CONF+=("--conf" "${2:?--conf needs KEY=VALUE}"); shift 2 ;;
        --job) JOB_FILE="${2:?--job needs a file}"; shift 2 ;;
        --pack-only) PACK_ONLY=1; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; JOB_ARGS=("$@"); break ;;
        *) die "unknown option '$1' (job arguments go after '--'; see --help)" ;;
    esac
done

[[ "$DEPLOY_MODE" == "client" || "$DEPLOY_MODE" == "cluster" ]] \
    || die "--deploy-mode must be client or cluster, got '$DEPLOY_MODE'"
if [[ $LOCAL -eq 1 && "$DEPLOY_MODE" == "cluster" ]]; then
    die "--local runs the driver here; it cannot be combined with --deploy-mode cluster"
fi
if [[ $PACK_ONLY -eq 0 && ${#JOB_ARGS[@]} -eq 0 ]]; then
    die "no job arguments: add '-- --config FILE.yaml' (see --help)"
fi

if [[ -z "$PYTHON_BIN" ]]; then
    if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PYTHON_BIN="$REPO_ROOT/.venv/bin/python"; else PYTHON_BIN="python3"; fi
fi
command -v "$PYTHON_BIN" >/dev/null || die "python interpreter '$PYTHON_BIN' not found (use --python)"
PYTHON_BIN="$(command -v "$PYTHON_BIN")"
JOB_FILE="${JOB_FILE:-$REPO_ROOT/jobs/augment.py}"
WORK_DIR="$(mkdir -p "${WORK_DIR:-$REPO_ROOT/dist/spark-submit}" && cd "${WORK_DIR:-$REPO_ROOT/dist/spark-submit}" && pwd)"
ENV_DIR="${ENV_DIR:-$WORK_DIR/env}"

log() { echo "submit.sh: $*" >&2; }

# 1. The wheel, built from a staged copy of the sources so the working tree is left untouched.
build_wheel() {
    local stage="$WORK_DIR/src" out="$WORK_DIR/wheel"
    rm -rf "$stage" "$out"
    mkdir -p "$stage" "$out"
    (cd "$REPO_ROOT" && tar --exclude='__pycache__' --exclude='*.pyc' -cf - setup.py genesis_spark \
        $(ls README.md MANIFEST.in pyproject.toml setup.cfg 2>/dev/null)) | tar -xf - -C "$stage"
    if "$PYTHON_BIN" -c "import build" 2>/dev/null; then
        "$PYTHON_BIN" -m build --wheel --no-isolation --outdir "$out" "$stage" >"$WORK_DIR/build.log" 2>&1 \
            || { cat "$WORK_DIR/build.log" >&2; die "wheel build failed (log above)"; }
    else
        "$PYTHON_BIN" -m pip wheel --no-deps --no-build-isolation -w "$out" "$stage" >"$WORK_DIR/build.log" 2>&1 \
            || { cat "$WORK_DIR/build.log" >&2; die "wheel build failed (log above)"; }
    fi
    WHEEL="$(ls "$out"/genesis_spark-*.whl | head -n 1)"
    [[ -f "$WHEEL" ]] || die "no wheel found in $out after the build"
    log "wheel: $WHEEL"
}

# 2. The packed environment: a virtualenv with the wheel and its dependencies, packed by venv-pack.
pack_env() {
    if [[ -n "$ENV_ARCHIVE" ]]; then
        [[ -f "$ENV_ARCHIVE" ]] || die "--env-archive $ENV_ARCHIVE does not exist"
        ENV_ARCHIVE="$(cd "$(dirname "$ENV_ARCHIVE")" && pwd)/$(basename "$ENV_ARCHIVE")"
        log "environment: $ENV_ARCHIVE (given)"
        return
    fi
    if [[ ! -x "$ENV_DIR/bin/python" ]]; then
        log "creating virtualenv $ENV_DIR"
        "$PYTHON_BIN" -m venv "$ENV_DIR"
    fi
    local constraints=()
    [[ -f "$REPO_ROOT/constraints.txt" ]] && constraints=(-c "$REPO_ROOT/constraints.txt")
    # shellcheck disable=SC2086
    "$ENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "${constraints[@]}" $PIP_ARGS \
        --force-reinstall "$WHEEL" || die "pip install of $WHEEL into $ENV_DIR failed"
    local venv_pack
    venv_pack="$(dirname "$PYTHON_BIN")/venv-pack"
    [[ -x "$venv_pack" ]] || venv_pack="$(command -v venv-pack || true)"
    [[ -n "$venv_pack" ]] || die "venv-pack not found: pip install venv-pack (next to $PYTHON_BIN)"
    ENV_ARCHIVE="$WORK_DIR/env.tar.gz"
    rm -f "$ENV_ARCHIVE"
    local prefix=()
    [[ -n "$PYTHON_PREFIX" ]] && prefix=(--python-prefix "$PYTHON_PREFIX")
    "$venv_pack" -p "$ENV_DIR" -o "$ENV_ARCHIVE" "${prefix[@]}" --quiet || die "venv-pack failed for $ENV_DIR"
    log "environment: $ENV_ARCHIVE"
}

delta_coordinate() {
    "$PYTHON_BIN" - <<'EOF'
import importlib.metadata as m
spark = ".".join(m.version("pyspark").split(".")[:2])
print(f"io.delta:delta-spark_{spark}_2.13:{m.version('delta-spark')}")
EOF
}

find_spark_submit() {
    if [[ -n "${SPARK_HOME:-}" && -x "$SPARK_HOME/bin/spark-submit" ]]; then echo "$SPARK_HOME/bin/spark-submit"
    elif command -v spark-submit >/dev/null; then command -v spark-submit
    elif [[ -x "$(dirname "$PYTHON_BIN")/spark-submit" ]]; then echo "$(dirname "$PYTHON_BIN")/spark-submit"
    else die "spark-submit not found: set SPARK_HOME or pip install pyspark next to $PYTHON_BIN"
    fi
}

build_wheel
if [[ $LOCAL -eq 0 ]]; then pack_env; fi
if [[ $PACK_ONLY -eq 1 ]]; then
    echo "WHEEL=$WHEEL"
    echo "ENV_ARCHIVE=${ENV_ARCHIVE:-}"
    exit 0
fi

CMD=("$(find_spark_submit)" --master "$MASTER" --deploy-mode "$DEPLOY_MODE" --name genesis_spark-augment
     --py-files "$WHEEL")
if [[ $LOCAL -eq 1 ]]; then
    # Driver and executors run this interpreter (it has every dependency); fast local settings.
    export PYSPARK_PYTHON="$PYTHON_BIN" PYSPARK_DRIVER_PYTHON="$PYTHON_BIN"
    CMD+=(--conf "spark.pyspark.python=$PYTHON_BIN" --conf "spark.pyspark.driver.python=$PYTHON_BIN"
          --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false
          --conf spark.sql.shuffle.partitions=2 --conf spark.driver.host=127.0.0.1
          --conf spark.driver.bindAddress=127.0.0.1 --conf spark.sql.session.timeZone=UTC
          --conf spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS --conf spark.log.level=WARN)
else
    # Executors (and a cluster-mode driver) unpack env.tar.gz as ./environment and run its python.
    CMD+=(--archives "$ENV_ARCHIVE#environment" --conf spark.pyspark.python=./environment/bin/python
          --conf spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python)
    if [[ "$DEPLOY_MODE" == "cluster" ]]; then
        CMD+=(--conf spark.pyspark.driver.python=./environment/bin/python
              --conf spark.yarn.appMasterEnv.PYSPARK_PYTHON=./environment/bin/python
              --conf spark.kubernetes.driverEnv.PYSPARK_PYTHON=./environment/bin/python)
    else
        CMD+=(--conf "spark.pyspark.driver.python=$PYTHON_BIN")
    fi
fi
if [[ $DELTA -eq 1 ]]; then
    CMD+=(--packages "${DELTA_PACKAGE:-$(delta_coordinate)}"
          --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension
          --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog)
fi
CMD+=("${EXTRA_CONF[@]}" "$JOB_FILE" "${JOB_ARGS[@]}")

if [[ $DRY_RUN -eq 1 ]]; then
    printf '%q ' "${CMD[@]}"; echo
    exit 0
fi
[[ -f "$JOB_FILE" ]] || die "the job file $JOB_FILE is missing"
log "running: ${CMD[*]}"
exec "${CMD[@]}"
