"""One self-contained HTML page for a quality report (plus optional privacy and utility sections).

Plots are drawn with matplotlib's object API (``matplotlib.figure.Figure``, rendered by Agg;
pyplot and the user's backend are never touched) and embedded as base64 PNGs, so the file
opens anywhere without network access.
"""
from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # the report types call write_html: type-only import, no circle
    from genesis_spark.quality.reports import PrivacyReport, QualityReport, UtilityReport

REAL_COLOR = "#1f77b4"
SYN_COLOR = "#ff7f0e"

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;
     padding:0 16px;line-height:1.4}
h1{margin-bottom:4px} h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
.meta{color:#666;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:140px;background:#fafafa}
.card .v{font-size:26px;font-weight:600} .card .k{color:#666;font-size:13px}
.good{color:#2a7a2a} .mid{color:#b07800} .bad{color:#b02020}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right} th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto} .note{color:#555;font-size:13px}
"""


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode("ascii")}">'


def _class(score: float) -> str:
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return ""
    return "good" if score >= 0.85 else ("mid" if score >= 0.7 else "bad")


def _card(label: str, value: float, percent: bool = True) -> str:
    text = "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        f"{value:.1%}" if percent else f"{value:,}")
    return (f'<div class="card"><div class="v {_class(value) if percent else ""}">{text}</div>'
            f'<div class="k">{html.escape(label)}</div></div>')


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4f}", na_rep="")


def _distribution_figure(report: QualityReport):
    from matplotlib.figure import Figure

    dists = report.distributions
    ncols = 3
    nrows = max(1, math.ceil(len(dists) / ncols))
    fig = Figure(figsize=(15, 3.6 * nrows))
    shapes = report.column_shapes.set_index("column")["score"].to_dict()
    for i, d in enumerate(dists):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        x = np.arange(len(d.labels))
        if d.kind == "discrete":
            ax.bar(x - 0.2, d.real, width=0.4, color=REAL_COLOR, label="real")
            ax.bar(x + 0.2, d.synthetic, width=0.4, color=SYN_COLOR, label="synthetic")
            ax.set_xticks(x)
            ax.set_xticklabels(d.labels, rotation=45 if len(d.labels) > 6 else 0, ha="right" if len(d.labels) > 6 else "center",
                               fontsize=8)
        else:
            centers = (d.edges[:-1] + d.edges[1:]) / 2
            width = d.edges[1] - d.edges[0]
            ax.bar(centers, d.real, width=width, color=REAL_COLOR, alpha=0.55, label="real")
            ax.step(centers, d.synthetic, where="mid", color=SYN_COLOR, linewidth=2, label="synthetic")
        score = shapes.get(d.column, float("nan"))
        ax.set_title(f"{d.column}  (shape {score:.3f})", fontsize=11)
        ax.set_ylabel("share of rows", fontsize=9)
        ax.tick_params(labelsize=8)
        if i == 0:
            ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


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


def render_html(report: QualityReport, privacy: PrivacyReport | None = None, utility: UtilityReport | None = None,
                title: str = "Synthetic data quality report") -> str:
    """The report as one HTML string (see module docstring)."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    sample = ""
    if report.engine == "spark":
        sample = (f"; pair trends, validity and plots on a seeded sample of {report.sample_rows['real']:,} real and "
                  f"{report.sample_rows['synthetic']:,} synthetic rows")
    parts.append(f"<p class='meta'>{report.n_real:,} real rows, {report.n_synthetic:,} synthetic rows, "
                 f"engine: {report.engine}{sample}.</p>")
    if utility is not None and utility.classifiers:
        parts.append(_verdict_headline(utility))
    parts.append("<div class='cards'>" + "".join([
        _card("Overall quality", report.overall_score), _card("Statistical fidelity", report.fidelity_score),
        _card("Column shapes", report.column_shapes_score), _card("Pair trends", report.pair_trends_score),
        _card("Null-rate similarity", report.null_rate_score), _card("Validity", report.validity_score),
        *([_card("Privacy score", privacy.score)] if privacy is not None else []),
    ]) + "</div>")
    w = report.weights
    parts.append(f"<p class='note'>Fidelity = mean of column shapes and pair trends. Overall = "
                 f"{w.get('fidelity', 0):g} &times; fidelity + {w.get('null_rates', 0):g} &times; null-rate similarity + "
                 f"{w.get('validity', 0):g} &times; validity.</p>")
    parts.append("<h2>Column distributions: real vs synthetic</h2>")
    if report.distributions:
        parts.append(_png(_distribution_figure(report)))
    per_column = (report.column_shapes.rename(columns={"score": "shape_score"})
                  .merge(report.null_rates.rename(columns={"score": "null_rate_score"}), on="column")
                  .merge(report.validity.drop(columns=["kind"]).rename(columns={"score": "validity_score"}), on="column"))
    parts.append(_table(per_column))
    parts.append("<h2>Pair trends</h2>")
    if len(report.pair_trends):
        parts.append(_png(_pair_heatmap(report)))
        parts.append("<details><summary>Per-pair table</summary>" + _table(report.pair_trends) + "</details>")
    if privacy is not None:
        verdict = "passed" if privacy.passed else "FAILED"
        parts.append("<h2>Privacy: distance to closest record</h2>")
        parts.append(f"<p>Score <b class='{_class(privacy.score)}'>{privacy.score:.3f}</b> against threshold "
                     f"{privacy.threshold:.2f}: <b>{verdict}</b>. {len(privacy.too_close):,} of "
                     f"{privacy.n_synthetic:,} synthetic rows ({privacy.too_close_share:.1%}) are closer to a training "
                     f"row than {1 - privacy.baseline_share:.0%} of the baseline rows are "
                     f"(baseline share {privacy.baseline_share:.1%}).</p>")
        parts.append(_png(_dcr_figure(privacy)))
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
        parts.append(_png(_pr_figure(utility)))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(path: Path, report: QualityReport, privacy: PrivacyReport | None = None,
               utility: UtilityReport | None = None, title: str = "Synthetic data quality report") -> Path:
    """Write :func:`render_html` to ``path`` (folders created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, privacy, utility, title), encoding="utf-8")
    return path
