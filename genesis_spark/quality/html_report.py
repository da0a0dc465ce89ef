"""One self-contained HTML page for a quality report (plus optional run, privacy, utility and detection sections).

Plots are drawn with matplotlib's object API (``matplotlib.figure.Figure``, rendered by Agg;
pyplot and the user's backend are never touched) and embedded as base64 PNGs, so the file
opens anywhere without network access. Every plot has a legend.

Order: the verdict (did the synthetic rows help?) with its interval, the score cards, the run's
metadata, the training loss curves, synthetic vs a real holdout ("as good as real"), the column
distributions, real minority vs synthetic minority vs real majority for the columns that
separate the classes most, the per-row scores and the acceptance by filter, pair trends,
privacy, and the model comparison.

Plot rules: a numeric column whose real values are all positive and right-skewed (skewness
above :data:`LOG_SKEW`, 99.5% / 0.5% quantile ratio above :data:`LOG_RANGE`) is binned and drawn
on a log scale; discrete values that are numbers, weekday or month names are drawn in their
natural order, other categories by real frequency.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from genesis_spark.core.kinds import Kind, as_float, infer_kinds
from genesis_spark.core.scoring import SCORE_COLUMNS  # per-row score columns, plotted when present

if TYPE_CHECKING:  # the report types call write_html: type-only import, no circle
    from genesis_spark.quality.detection import DetectionReport, HoldoutReference
    from genesis_spark.quality.reports import (PrivacyReport, QualityReport, ReportFrames, RunDetails,
                                               UtilityReport)

REAL_COLOR = "#1f77b4"
SYN_COLOR = "#ff7f0e"
MAJORITY_COLOR = "#555555"
#: Columns shown in the minority vs majority overlays.
TOP_OVERLAY_COLUMNS = 4
LOG_SKEW = 2.0
LOG_RANGE = 10.0
PLOT_BINS = 30
PLOT_TOP_CATEGORIES = 20
#: Most values of a numeric-like discrete column drawn one by one in natural order.
MAX_ORDERED_CATEGORIES = 60

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_SPECIAL = ("(other)", "(null)")

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;
     padding:0 16px;line-height:1.4}
h1{margin-bottom:4px} h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
.meta{color:#666;margin-top:0}
.verdict{font-size:17px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:140px;background:#fafafa}
.card .v{font-size:26px;font-weight:600} .card .k{color:#666;font-size:13px}
.good{color:#2a7a2a} .mid{color:#b07800} .bad{color:#b02020}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right} th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}
table.kv td{text-align:left} code{font-size:12px}
pre{background:#f6f6f6;padding:8px;font-size:12px;overflow-x:auto}
img{max-width:100%;height:auto} .note{color:#555;font-size:13px}
"""


def _png(fig, alt: str = "plot") -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _class(score: float) -> str:
    if _is_nan(score):
        return ""
    return "good" if score >= 0.85 else ("mid" if score >= 0.7 else "bad")


def _card(label: str, value: float, percent: bool = True) -> str:
    text = "n/a" if _is_nan(value) else (f"{value:.1%}" if percent else f"{value:,}")
    return (f'<div class="card"><div class="v {_class(value) if percent else ""}">{text}</div>'
            f'<div class="k">{html.escape(label)}</div></div>')


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4f}", na_rep="")


# --------------------------------------------------------------------------- plot data

def natural_order(labels: Sequence[str]) -> list[str] | None:
    """``labels`` in their natural order when all are numbers, weekday names or month names, else None.

    ``(other)`` and ``(null)`` go last. Example: ``natural_order(["10", "2", "1"]) == ["1", "2", "10"]``.
    """
    plain = [str(v) for v in labels if str(v) not in _SPECIAL]
    tail = [v for v in _SPECIAL if v in labels]
    if not plain:
        return None
    numbers = pd.to_numeric(pd.Series(plain), errors="coerce")
    if numbers.notna().all():
        return [plain[i] for i in np.argsort(numbers.to_numpy(), kind="stable")] + tail
    for names in (_WEEKDAYS, _MONTHS):
        rank = {}
        for i, name in enumerate(names):
            rank[name] = rank[name[:3]] = i
        keys = [rank.get(v.strip().lower()) for v in plain]
        if all(k is not None for k in keys):
            return [plain[i] for i in np.argsort(keys, kind="stable")] + tail
    return None


def use_log_scale(values: np.ndarray) -> bool:
    """True for positive, right-skewed values (rules in the module docstring)."""
    values = values[~np.isnan(values)]
    if len(values) < 3 or values.min() <= 0:
        return False
    lo, hi = np.quantile(values, [0.005, 0.995])
    return bool(pd.Series(values).skew() > LOG_SKEW and hi / lo > LOG_RANGE)


@dataclass(frozen=True)
class _Plot:
    """One panel: shares per side on categories (``edges`` None) or bins."""

    column: str
    labels: list[str]
    shares: dict[str, np.ndarray]
    edges: np.ndarray | None = None
    log: bool = False
    title: str = ""


_STYLE = {"real minority": ("bar", REAL_COLOR), "real": ("bar", REAL_COLOR),
          "synthetic minority": ("line", SYN_COLOR), "synthetic": ("line", SYN_COLOR),
          "real majority": ("dashed", MAJORITY_COLOR), "real holdout": ("dashed", MAJORITY_COLOR)}


def _discrete_keys(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("(null)").astype(object)


def _frame_plot(column: str, kind: Kind, sides: Mapping[str, pd.Series], reference: Sequence[str],
                title: str = "") -> _Plot | None:
    """Shares of each side on categories/bins taken from the ``reference`` sides (real rows)."""
    if kind == "discrete":
        keys = {name: _discrete_keys(values) for name, values in sides.items()}
        counts = pd.concat([keys[name] for name in reference]).value_counts()
        ordered = natural_order(list(counts.index))
        if ordered is not None and len(ordered) <= MAX_ORDERED_CATEGORIES:
            labels, other = ordered, False
        else:
            labels = [str(v) for v in counts.index[:PLOT_TOP_CATEGORIES]]
            other = len(counts) > PLOT_TOP_CATEGORIES
            labels = (natural_order(labels) or labels) + (["(other)"] if other else [])
        categories = labels[:-1] if other else labels
        shares = {}
        for name, values in keys.items():
            known = values.value_counts(normalize=True).reindex(categories, fill_value=0.0).to_numpy()
            shares[name] = np.append(known, max(1.0 - known.sum(), 0.0)) if other else known
        return _Plot(column, labels, shares, title=title)
    floats = {name: as_float(values) for name, values in sides.items()}
    floats = {name: v[~np.isnan(v)] for name, v in floats.items()}
    ref = np.concatenate([floats[name] for name in reference])
    if len(ref) == 0:
        return None
    log = use_log_scale(ref)
    # each real side's own 0.5-99.5% range: a small minority's tail is not clipped by a large majority's
    ranges = np.array([np.quantile(floats[name], [0.005, 0.995]) for name in reference if len(floats[name])])
    lo, hi = ranges[:, 0].min(), ranges[:, 1].max()
    if np.all(ref == np.round(ref)) and ref.max() - ref.min() <= 2 * PLOT_BINS and not log:
        lo, hi = ref.min() - 0.5, ref.max() + 0.5  # small integer range: one bin per value
        edges = np.arange(lo, hi + 0.5, 1.0)
    elif log:
        edges = np.geomspace(lo, hi, PLOT_BINS + 1)
    else:
        if hi <= lo:
            lo, hi = ref.min() - 0.5, ref.max() + 0.5
        edges = np.linspace(lo, hi, PLOT_BINS + 1)
    shares = {name: np.histogram(np.clip(v, edges[0], edges[-1]), edges)[0] / max(len(v), 1)
              for name, v in floats.items()}
    return _Plot(column, [f"{e:.4g}" for e in edges[:-1]], shares, edges, log, title)


def _report_plot(d: Any, title: str) -> _Plot:
    """A plot from a precomputed ``ColumnDistribution`` (no frames given): categories in natural order."""
    if d.kind == "discrete":
        order = natural_order(d.labels)
        index = [d.labels.index(v) for v in order] if order else list(range(len(d.labels)))
        return _Plot(d.column, [d.labels[i] for i in index],
                     {"real": np.asarray(d.real)[index], "synthetic": np.asarray(d.synthetic)[index]}, title=title)
    return _Plot(d.column, d.labels, {"real": np.asarray(d.real), "synthetic": np.asarray(d.synthetic)},
                 np.asarray(d.edges), False, title)


def _draw(ax, plot: _Plot) -> None:
    names = list(plot.shares)
    if plot.edges is None:
        x = np.arange(len(plot.labels))
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            _, color = _STYLE.get(name, ("bar", None))
            ax.bar(x + (i - (len(names) - 1) / 2) * width, plot.shares[name], width=width, color=color,
                   alpha=0.85, label=name)
        ax.set_xticks(x)
        many = len(plot.labels) > 8
        ax.set_xticklabels(plot.labels, rotation=45 if many else 0, ha="right" if many else "center", fontsize=7)
    else:
        for name in names:
            style, color = _STYLE.get(name, ("line", None))
            if style == "bar":
                ax.stairs(plot.shares[name], plot.edges, fill=True, alpha=0.45, color=color, label=name)
            else:
                ax.stairs(plot.shares[name], plot.edges, linewidth=2, color=color, label=name,
                          linestyle="--" if style == "dashed" else "-")
        if plot.log:
            ax.set_xscale("log")
            ax.set_xlabel("log scale", fontsize=8)
    ax.set_title(plot.title or plot.column, fontsize=10)
    ax.set_ylabel("share of rows", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8)


def _grid_figure(plots: list[_Plot], ncols: int = 3, height: float = 3.6):
    from matplotlib.figure import Figure

    nrows = max(1, math.ceil(len(plots) / ncols))
    fig = Figure(figsize=(15, height * nrows))
    for i, plot in enumerate(plots):
        _draw(fig.add_subplot(nrows, ncols, i + 1), plot)
    fig.tight_layout()
    return fig


def _shape_title(column: str, shapes: Mapping[str, float]) -> str:
    score = shapes.get(column, float("nan"))
    return f"{column}  (shape {score:.3f})"


def _distribution_plots(report: QualityReport, frames: ReportFrames | None) -> list[_Plot]:
    shapes = report.column_shapes.set_index("column")["score"].to_dict()
    if frames is None:
        return [_report_plot(d, _shape_title(d.column, shapes)) for d in report.distributions]
    kinds = _frame_kinds(frames)
    plots = [_frame_plot(c, kind, {"real": frames.real[c], "synthetic": frames.synthetic[c]}, ["real"],
                         _shape_title(c, shapes)) for c, kind in kinds.items()]
    return [p for p in plots if p is not None]


def _frame_kinds(frames: ReportFrames) -> dict[str, Kind]:
    return infer_kinds(frames.real, [c for c in frames.discrete_columns if c in frames.real.columns])


def _overlays(frames: ReportFrames) -> list[_Plot]:
    """Three-way plots of every column, the most separating first (ties by column name)."""
    if frames.majority is None or frames.majority.empty:
        return []
    ranked = []
    for column, kind in _frame_kinds(frames).items():
        sides = {"real minority": frames.real[column], "synthetic minority": frames.synthetic[column],
                 "real majority": frames.majority[column]}
        plot = _frame_plot(column, kind, sides, ["real minority", "real majority"], column)
        if plot is not None:
            distance = 0.5 * np.abs(plot.shares["real minority"] - plot.shares["real majority"]).sum()
            ranked.append((-distance, column, plot))
    return [plot for _, _, plot in sorted(ranked, key=lambda item: item[:2])]


def separating_columns(frames: ReportFrames, n: int = TOP_OVERLAY_COLUMNS) -> list[str]:
    """The ``n`` columns whose real minority and real majority differ most: the largest total-variation
    distance between their histograms (the overlay plots' bins or categories)."""
    return [plot.column for plot in _overlays(frames)[:n]]


def _overlay_plots(frames: ReportFrames) -> list[_Plot]:
    return _overlays(frames)[:TOP_OVERLAY_COLUMNS]


# --------------------------------------------------------------------------- figures

def _pair_heatmap(report: QualityReport):
    from matplotlib.figure import Figure

    columns = report.column_shapes["column"].tolist()
    n = len(columns)
    matrix = np.full((n, n), np.nan)
    position = {c: i for i, c in enumerate(columns)}
    for row in report.pair_trends.itertuples(index=False):
        i, j = position[row.column_1], position[row.column_2]
        matrix[i, j] = matrix[j, i] = row.score
    for c in columns:
        matrix[position[c], position[c]] = 1.0
    size = max(5.0, 0.8 * n + 2)
    fig = Figure(figsize=(size + 1.5, size))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(matrix, vmin=0.5, vmax=1.0, cmap="RdYlGn")
    ax.set_xticks(range(n))
    ax.set_xticklabels(columns, rotation=45, ha="right", fontsize=9)
    ax.set_yticks(range(n))
    ax.set_yticklabels(columns, fontsize=9)
    for i in range(n):
        for j in range(n):
            if i != j and not np.isnan(matrix[i, j]):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046, label="pair-trend score")
    ax.set_title("Pair trends (1 = same relationship as in the real data)", fontsize=11)
    fig.tight_layout()
    return fig


def _dcr_figure(privacy: PrivacyReport):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    both = np.concatenate([privacy.synthetic_dcr, privacy.baseline_dcr]).astype(float)
    top = float(np.quantile(both, 0.99)) if len(both) else 1.0
    edges = np.linspace(0.0, max(top, 1e-9), 61)
    baseline_name = "real holdout -> training" if privacy.baseline == "holdout" else "training -> other training rows"
    ax.hist(np.clip(privacy.baseline_dcr, 0, top), bins=edges, density=True, alpha=0.55, color=REAL_COLOR,
            label=f"baseline: {baseline_name}")
    ax.hist(np.clip(privacy.synthetic_dcr, 0, top), bins=edges, density=True, histtype="step", linewidth=2,
            color=SYN_COLOR, label="synthetic -> training")
    ax.axvline(privacy.distance_threshold, color="#b02020", linestyle="--",
               label=f"too-close threshold ({privacy.distance_threshold:.4g})")
    ax.set_xlabel("distance to closest training record (mixed-type, range-scaled)")
    ax.set_ylabel("density")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def _pr_figure(utility: UtilityReport):
    from matplotlib.figure import Figure

    names = list(utility.curves)
    fig = Figure(figsize=(6.5 * len(names), 5))
    table = utility.table.set_index(["classifier", "model"])["pr_auc"].to_dict()
    for index, classifier in enumerate(names, start=1):
        ax = fig.add_subplot(1, len(names), index)
        for model, curve in utility.curves[classifier].items():
            ax.step(curve["recall"], curve["precision"], where="post", linewidth=2,
                    label=f"{model} (PR-AUC {table.get((classifier, model), float('nan')):.3f})")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9, loc="lower left")
        ax.set_title(f"{classifier}: precision-recall on the real test rows "
                     f"({utility.target_column} = {utility.positive_label})", fontsize=10)
    fig.tight_layout()
    return fig


def _loss_figure(history: pd.DataFrame):
    """Generator and discriminator losses per epoch (left) and the gradient penalty (right)."""
    from matplotlib.figure import Figure

    epochs = history["epoch"] if "epoch" in history else pd.Series(range(1, len(history) + 1))
    losses = [c for c in history.columns if c not in ("epoch", "gradient_penalty")]
    panels = [losses] + ([["gradient_penalty"]] if "gradient_penalty" in history else [])
    fig = Figure(figsize=(15, 3.8))
    for index, columns in enumerate(panels, start=1):
        ax = fig.add_subplot(1, len(panels), index)
        for column in columns:
            ax.plot(epochs, history[column], linewidth=1.8, label=column.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss" if index == 1 else "penalty")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
        ax.set_title("Training losses" if index == 1 else "Gradient penalty (WGAN-GP)", fontsize=10)
    fig.tight_layout()
    return fig


def _score_figure(synthetic: pd.DataFrame, thresholds: Mapping[str, float]):
    """Histograms of the per-row scores of the synthetic rows, with the filter minimum of each."""
    from matplotlib.figure import Figure

    columns = [c for c in SCORE_COLUMNS if c in synthetic.columns]
    fig = Figure(figsize=(5 * len(columns), 3.6))
    for index, column in enumerate(columns, start=1):
        ax = fig.add_subplot(1, len(columns), index)
        values = pd.to_numeric(synthetic[column], errors="coerce").dropna().to_numpy(dtype=float)
        top = 1.0 if column != "dcr" else max(float(np.quantile(values, 0.99)) if len(values) else 1.0, 1e-9)
        ax.hist(np.clip(values, 0.0, top), bins=np.linspace(0.0, top, 41), color=SYN_COLOR, alpha=0.8,
                label=f"synthetic rows ({len(values):,})")
        if column in thresholds:
            ax.axvline(thresholds[column], color="#b02020", linestyle="--",
                       label=f"filter minimum ({thresholds[column]:.3g})")
        ax.set_xlabel(column)
        ax.set_ylabel("rows")
        ax.legend(fontsize=8)
        ax.set_title(column.replace("_", " "), fontsize=10)
    fig.tight_layout()
    return fig


def _sampling_rows(sampling: Mapping[Any, Any]) -> pd.DataFrame:
    rows = []
    for label, report in sampling.items():
        values = report.to_dict() if hasattr(report, "to_dict") else dict(report)
        row = {"class": str(label), "requested": values.get("requested"), "generated": values.get("generated"),
               "accepted": values.get("accepted"), "acceptance_rate": values.get("acceptance_rate")}
        row.update({f"passed {name}": rate for name, rate in (values.get("acceptance_by_filter") or {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sections

_VERDICT_CLASS = {"helped": "good", "no_change": "mid", "hurt": "bad"}


def _verdict_headline(utility: UtilityReport) -> str:
    """The report's first lines: did the synthetic rows help each classifier?"""
    items = []
    for classifier, line in zip(utility.classifiers, utility.headline()):
        verdict = str(utility.gain(classifier)["verdict"])
        detail = html.escape(line.split(": ", 2)[-1])
        items.append(f"<li><b>{html.escape(classifier)}</b>: <b class='{_VERDICT_CLASS.get(verdict, '')}'>"
                     f"{html.escape(verdict.replace('_', ' '))}</b>: {detail}</li>")
    return ("<h2>Did the synthetic rows help?</h2><ul class='verdict'>" + "".join(items) + "</ul>"
            "<p class='note'>helped: the whole bootstrap interval of the PR-AUC gain (augmented minus real-only "
            "training, resampling the real test rows) lies above 0; hurt: below 0; no change: it straddles 0.</p>")


def _meta_line(report: QualityReport, run: RunDetails | None) -> str:
    engine = run.engine if run is not None and run.engine else report.engine
    where = ""
    if report.engine == "spark":
        where = (f"; pair trends, validity and plots on a seeded sample of {report.sample_rows['real']:,} real and "
                 f"{report.sample_rows['synthetic']:,} synthetic rows")
    elif engine != report.engine:
        where = f" (metrics computed with {report.engine} on bounded samples of the run's rows)"
    return (f"<p class='meta'>{report.n_real:,} real rows, {report.n_synthetic:,} synthetic rows, "
            f"engine: {html.escape(str(engine))}{where}.</p>")


def _run_section(run: RunDetails, figures: Mapping[str, Any]) -> list[str]:
    parts = ["<h2>Run</h2>"]
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(v)}</code></td></tr>" for k, v in run.rows())
    parts.append(f"<table class='kv run-metadata'>{rows}</table>")
    if run.config:
        text = json.dumps(run.config, indent=2, sort_keys=True, default=str)
        parts.append(f"<details><summary>Configuration</summary><pre>{html.escape(text)}</pre></details>")
    if "loss" in figures:
        parts.append("<h2>Training loss curves</h2>")
        parts.append(_png(figures["loss"], "training loss curves"))
        parts.append("<p class='note'>WGAN-GP: the discriminator (critic) loss is the negative Wasserstein "
                     "estimate plus the penalty; curves that level off mean training has settled.</p>")
    return parts


def _fmt(value: Any) -> str:
    return "" if _is_nan(value) else f"{value:.3f}"


def _reference_section(report: QualityReport, detection: DetectionReport | None,
                       reference: HoldoutReference | None) -> list[str]:
    header = "<tr><th>metric</th><th>synthetic minority vs real train minority</th>"
    if reference is not None:
        header += f"<th>real test minority ({reference.n_holdout:,} rows) vs real train minority: the reference</th>"
    rows = []
    names = [("overall quality", "overall_score"), ("statistical fidelity", "fidelity_score"),
             ("column shapes", "column_shapes_score"), ("pair trends", "pair_trends_score")]
    for label, key in names:
        cells = [_fmt(getattr(report, key))] + ([_fmt(getattr(reference.quality, key))] if reference else [])
        rows.append((label, cells))
    ref_detection = reference.detection if reference is not None else None
    for label, key in (("detection ROC-AUC (0.5: cannot tell apart)", "roc_auc"),
                       ("detection score (1: cannot tell apart)", "score")):
        ours = getattr(detection, key) if detection is not None else None
        cells = [_fmt(ours)] + ([_fmt(getattr(ref_detection, key, None))] if reference is not None else [])
        rows.append((label, cells))
    body = "".join("<tr><td>" + html.escape(label) + "</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
                   for label, cells in rows)
    parts = ["<h2>As good as real? Synthetic rows next to a real holdout</h2>",
             f"<table class='reference'>{header}</tr>{body}</table>"]
    parts.append("<p class='note'>Detection: a logistic regression (one-hot discrete columns, standardized numbers) "
                 "cross-validated at telling the real training minority from the other rows, as SDMetrics' "
                 "LogisticDetection; score = 1 - (2 &times; max(ROC-AUC, 0.5) - 1). A ROC-AUC below 0.5 is "
                 "cross-validation noise around 0.5 (the detector found nothing to learn), not worse than chance. "
                 + ("The reference column scores real rows the generator never saw, with the same metrics: "
                    "synthetic rows near it are about as close to the training rows as fresh real data is."
                    if reference is not None else "") + "</p>")
    return parts


def report_figures(report: QualityReport, privacy: PrivacyReport | None = None,
                   utility: UtilityReport | None = None, *, run: RunDetails | None = None,
                   frames: ReportFrames | None = None) -> dict[str, Any]:
    """The report's matplotlib figures by name, for the inputs given.

    Names: ``loss`` (training loss curves), ``distributions`` (real vs synthetic per column),
    ``overlays`` (real minority vs synthetic minority vs real majority, :func:`separating_columns`),
    ``scores`` (per-row scores of the synthetic rows), ``pair_trends``, ``dcr`` (privacy) and
    ``pr_curves`` (model comparison). Without ``frames`` the plots use the rows the evaluator scored
    (``report.frames``).
    """
    figures: dict[str, Any] = {}
    frames = frames if frames is not None else report.frames  # the evaluator's samples by default
    history = run.loss_history if run is not None else None
    if history is not None and len(history) and len(history.columns):
        figures["loss"] = _loss_figure(history)
    plots = _distribution_plots(report, frames)
    if plots:
        figures["distributions"] = _grid_figure(plots)
    overlays = _overlay_plots(frames) if frames is not None else []
    if overlays:
        figures["overlays"] = _grid_figure(overlays, ncols=2, height=3.8)
    if frames is not None and any(c in frames.synthetic.columns for c in SCORE_COLUMNS):
        figures["scores"] = _score_figure(frames.synthetic, run.thresholds if run is not None else {})
    if len(report.pair_trends):
        figures["pair_trends"] = _pair_heatmap(report)
    if privacy is not None:
        figures["dcr"] = _dcr_figure(privacy)
    if utility is not None and utility.curves:
        figures["pr_curves"] = _pr_figure(utility)
    return figures


def render_html(report: QualityReport, privacy: PrivacyReport | None = None, utility: UtilityReport | None = None,
                title: str = "Synthetic data quality report", *, run: RunDetails | None = None,
                frames: ReportFrames | None = None, detection: DetectionReport | None = None,
                reference: HoldoutReference | None = None) -> str:
    """The report as one HTML string (sections and plot rules in the module docstring)."""
    figures = report_figures(report, privacy, utility, run=run, frames=frames)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>", _meta_line(report, run)]
    if utility is not None and utility.classifiers:
        parts.append(_verdict_headline(utility))
    parts.append("<div class='cards'>" + "".join([
        _card("Overall quality", report.overall_score), _card("Statistical fidelity", report.fidelity_score),
        _card("Column shapes", report.column_shapes_score), _card("Pair trends", report.pair_trends_score),
        _card("Null-rate similarity", report.null_rate_score), _card("Validity", report.validity_score),
        *([_card("Detection score", detection.score)] if detection is not None else []),
        *([_card("Privacy score", privacy.score)] if privacy is not None else []),
    ]) + "</div>")
    w = report.weights
    parts.append(f"<p class='note'>Fidelity = mean of column shapes and pair trends. Overall = "
                 f"{w.get('fidelity', 0):g} &times; fidelity + {w.get('null_rates', 0):g} &times; null-rate similarity + "
                 f"{w.get('validity', 0):g} &times; validity.</p>")
    if run is not None:
        parts.extend(_run_section(run, figures))
    if detection is not None or reference is not None:
        parts.extend(_reference_section(report, detection, reference))
    parts.append("<h2>Column distributions: real vs synthetic</h2>")
    if "distributions" in figures:
        parts.append(_png(figures["distributions"], "column distributions"))
        if any(ax.get_xscale() == "log" for ax in figures["distributions"].axes):
            parts.append("<p class='note'>Positive, skewed columns are binned and drawn on a log scale.</p>")
    per_column = (report.column_shapes.rename(columns={"score": "shape_score"})
                  .merge(report.null_rates.rename(columns={"score": "null_rate_score"}), on="column")
                  .merge(report.validity.drop(columns=["kind"]).rename(columns={"score": "validity_score"}), on="column"))
    parts.append(_table(per_column))
    if "overlays" in figures:
        parts.append("<h2>Minority vs majority: the columns that separate the classes most</h2>")
        parts.append(_png(figures["overlays"], "minority and majority overlays"))
        parts.append("<p class='note'>The columns where the real minority differs most from the real majority "
                     "(largest total-variation distance between their histograms): the synthetic minority should "
                     "follow the real minority, not drift toward the majority.</p>")
    sampling = run.sampling if run is not None else {}
    if "scores" in figures or sampling:
        parts.append("<h2>Per-row scores and acceptance by filter</h2>")
        if "scores" in figures:
            parts.append(_png(figures["scores"], "per-row score distributions"))
            parts.append("<p class='note'>Scores of the accepted synthetic rows: realism (the discriminator's "
                         "score placed on the training rows' distribution), dcr (distance to the closest real "
                         "minority row), label_prob (the label model's probability of the minority class), "
                         "class_margin (how much nearer the real minority than the real majority the row lies; "
                         "with few real rows each block keeps its rows of highest margin).</p>")
        if sampling:
            parts.append("<p class='note'>Sampling: rows generated and accepted, and the share of generated rows "
                         "passing each filter:</p>" + _table(_sampling_rows(sampling)))
    parts.append("<h2>Pair trends</h2>")
    if "pair_trends" in figures:
        parts.append(_png(figures["pair_trends"], "pair trends"))
        parts.append("<details><summary>Per-pair table</summary>" + _table(report.pair_trends) + "</details>")
    if privacy is not None:
        verdict = "passed" if privacy.passed else "FAILED"
        parts.append("<h2>Privacy: distance to closest record</h2>")
        parts.append(f"<p>Score <b class='{_class(privacy.score)}'>{privacy.score:.3f}</b> against threshold "
                     f"{privacy.threshold:.2f}: <b>{verdict}</b>. {len(privacy.too_close):,} of "
                     f"{privacy.n_synthetic:,} synthetic rows ({privacy.too_close_share:.1%}) are closer to a training "
                     f"row than {1 - privacy.baseline_share:.0%} of the baseline rows are "
                     f"(baseline share {privacy.baseline_share:.1%}).</p>")
        parts.append(_png(figures["dcr"], "distance to closest record"))
        summary = {k: v for k, v in privacy.to_dict().items() if k not in ("too_close", "metrics_version")}
        parts.append(_table(pd.DataFrame([summary]).T.reset_index().rename(columns={"index": "metric", 0: "value"})))
    if utility is not None:
        parts.append("<h2>Model comparison on real test rows</h2>")
        table = utility.table
        main = table[["classifier", "model", "n_train", "n_positive_train", "precision_at_0.5", "recall_at_0.5", "f1_at_0.5",
                      "roc_auc", "pr_auc", "best_f1", "threshold", "precision_at_tuned", "recall_at_tuned", "f1_at_tuned"]]
        parts.append(_table(main))
        if len(utility.gains):
            parts.append("<p class='note'>PR-AUC gain of the augmented training data over each other model, "
                         "with its paired bootstrap interval:</p>" + _table(utility.gains))
        confusion = table[["classifier", "model", "tn_at_0.5", "fp_at_0.5", "fn_at_0.5", "tp_at_0.5",
                           "tn_at_tuned", "fp_at_tuned", "fn_at_tuned", "tp_at_tuned"]]
        parts.append("<p class='note'>Confusion matrices (tn, fp, fn, tp) at 0.5 and at the tuned threshold "
                     "(max F1 on a validation slice of the training data):</p>" + _table(confusion))
        if "pr_curves" in figures:
            parts.append(_png(figures["pr_curves"], "precision-recall curves"))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(path: Path, report: QualityReport, privacy: PrivacyReport | None = None,
               utility: UtilityReport | None = None, title: str = "Synthetic data quality report", *,
               run: RunDetails | None = None, frames: ReportFrames | None = None,
               detection: DetectionReport | None = None, reference: HoldoutReference | None = None) -> Path:
    """Write :func:`render_html` to ``path`` (folders created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, privacy, utility, title, run=run, frames=frames, detection=detection,
                                reference=reference), encoding="utf-8")
    return path
