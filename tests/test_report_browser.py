"""The HTML report of a real pipeline run, opened in a real headless browser (Debian's chromium).

The page is opened as a copy with a small collector script injected first in ``<head>`` (the report
itself has no scripts): it records uncaught errors, ``console.error`` calls and resources that failed
to load, and on ``load`` writes them, with the count of images decoded, into the DOM, which
``--dump-dom`` prints. Chromium's own console log (``--enable-logging=stderr``) must be empty too.
A deliberately broken copy shows the check catches what it claims to.
"""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions

COLLECTOR = """<script>
window.__problems = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  window.__problems.push(t && t !== window && (t.src || t.href)
    ? 'resource failed: ' + String(t.src || t.href).slice(0, 60) : 'error: ' + e.message);
}, true);
window.addEventListener('unhandledrejection', function (e) { window.__problems.push('rejection: ' + e.reason); });
var __consoleError = console.error;
console.error = function () {
  window.__problems.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
  __consoleError.apply(console, arguments);
};
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var out = document.createElement('pre');
  out.id = 'browser-check';
  out.textContent = JSON.stringify({
    problems: window.__problems,
    images: images.length,
    decoded: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    headings: Array.prototype.map.call(document.querySelectorAll('h2'), function (h) { return h.textContent; }),
    first_heading: document.querySelector('h2') ? document.querySelector('h2').textContent : null
  });
  document.body.appendChild(out);
});
</script>"""


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed, so the HTML report cannot be checked in a browser. `make test` "
                    "installs Debian's chromium when run as root with apt-get; else: apt-get install -y chromium.")
    return path


def _chromium_run(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", f"--user-data-dir={profile}",
               *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    return done


def browser_check(report: Path, workdir: Path) -> dict:
    """Open ``report`` (a copy with the collector) in headless chromium; what the page and the console said."""
    page = workdir / f"checked_{report.name}"
    page.write_text(report.read_text(encoding="utf-8").replace("<head>", "<head>" + COLLECTOR, 1), encoding="utf-8")
    done = _chromium_run(page, workdir / "profile", "--dump-dom")
    found = re.search(r'<pre id="browser-check">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the page never finished loading (no check in the DOM): {done.stdout[-1000:]}"
    check = json.loads(html.unescape(found.group(1)))
    check["console"] = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    check["dom"] = done.stdout
    return check


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    """A real pandas pipeline run (tiny data, few epochs) with every section of the report."""
    from genesis_spark.pipeline import Pipeline, steps

    folder = tmp_path_factory.mktemp("browser")
    csv = folder / "transactions.csv"
    make_transactions(2_000, fraud_rate=0.06, seed=11).to_csv(csv, index=False)
    report = folder / "report.html"
    result = Pipeline([
        steps.load_csv(str(csv)),
        steps.split(target_column="is_fraud", test_size=0.3),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.15, discrete_columns=DISCRETE_COLUMNS,
                                 config={"epochs": 3, "batch_size": 50, "embedding_dim": 8, "generator_dim": [16],
                                         "discriminator_dim": [16]}),
        steps.evaluate(target_column="is_fraud"),
        steps.privacy_audit(threshold=0.5),
        steps.compare_models(target_column="is_fraud", classifiers=["logistic_regression"], include_smote=False,
                             n_bootstrap=50),
        steps.report_html(str(report), title="Fraud augmentation report"),
    ], name="browser_report", seed=4).run()
    assert result.success, result.error
    return report, result, folder


def test_report_renders_in_chromium_with_every_section_and_no_console_errors(report_run):
    report, result, folder = report_run
    check = browser_check(report, folder)
    assert check["problems"] == [] and check["console"] == []
    assert check["images"] == check["decoded"] == 7     # loss, distributions, overlays, scores, pairs, DCR, PR
    assert check["first_heading"] == "Did the synthetic rows help?"
    assert check["headings"] == [
        "Did the synthetic rows help?", "Run", "Training loss curves",
        "As good as real? Synthetic rows next to a real holdout", "Column distributions: real vs synthetic",
        "Minority vs majority: the columns that separate the classes most", "Per-row scores and acceptance by filter",
        "Pair trends", "Privacy: distance to closest record", "Model comparison on real test rows"]
    verdict = result.metrics["utility_verdict"].replace("_", " ")
    assert re.search(rf"<b>logistic_regression</b>: <b class=\"\w+\">{verdict}</b>: PR-AUC [01]\.\d{{3}} -&gt; ",
                     check["dom"])
    assert "engine: pandas" in check["dom"] and "<title>Fraud augmentation report</title>" in check["dom"]


def test_the_browser_check_catches_a_broken_image_and_a_script_error(report_run, tmp_path):
    report, _, _ = report_run
    broken = tmp_path / "broken.html"
    text = re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,AAAA", report.read_text(encoding="utf-8"), count=1)
    broken.write_text(text.replace("</body>", "<script>notDefined();</script></body>"), encoding="utf-8")
    check = browser_check(broken, tmp_path)
    assert check["decoded"] == check["images"] - 1
    assert any(p.startswith("resource failed: data:image/png") for p in check["problems"])
    assert any("notDefined is not defined" in p for p in check["problems"])
    assert any("notDefined is not defined" in line for line in check["console"])


def test_screenshot_of_the_report(report_run, tmp_path):
    report, _, _ = report_run
    shot = tmp_path / "report.png"
    _chromium_run(report, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,1600")
    with Image.open(shot) as image:
        assert image.size == (1280, 1600)
        colours = image.convert("L").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 50    # text, cards and plots, not a blank page
