"""``report.md``: the split document, rendered from the model by ``templates/report.md.j2``."""

from __future__ import annotations

from covsplit.report.model import ReportModel


def render_markdown(model: ReportModel) -> str:
    """The split document as Markdown; every figure from ``model``."""
    # Imported here: the verdict at the end of a CI run reads the model without Jinja2 installed.
    from covsplit.report import render

    return render.markdown().get_template("report.md.j2").render(model=model)
