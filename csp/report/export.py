"""The dashboard's export: the executed dashboard notebook becomes one self-contained HTML file.

Only `csp run` exports; nbconvert and nbformat are imported here and nowhere in the notebooks'
kernels. The export drops code, prompts and the injected parameters.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from csp import config
from csp.report import html

REPORT_MIMETYPES = {"text/html", "image/png", "text/plain"}


class ReaderOutputs(Preprocessor):
    """Keep what a reader should see: HTML, images and text results. Printed warnings are for the
    analyst's notebook, and scripts (application/javascript) would break a self-contained report."""

    def preprocess_cell(self, cell, resources, index):  # nbconvert's signature
        if cell.cell_type == "code":
            kept = []
            for output in cell.outputs:
                if output.output_type in ("display_data", "execute_result"):
                    output.data = {k: v for k, v in output.data.items() if k in REPORT_MIMETYPES}
                    if output.data:
                        kept.append(output)
                elif output.output_type == "error":
                    kept.append(output)
            cell.outputs = kept
        return cell, resources


class DashboardExporter(HTMLExporter):
    """nbconvert's HTML export without its last pass, which parses the whole page again with
    BeautifulSoup to add alt text to images that lack it and tabindex to code cells. The dashboard
    gives every chart its alt text and has no code cells, and on a page of embedded charts that
    pass took about a second (tests/test_report.py checks every image has alt text)."""

    def from_notebook_node(self, nb, resources=None, **kw):  # nbconvert's signature
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", Highlight2HTML(parent=self))
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            ),
        )
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


def export_html(executed: Path, target: Path, title: str) -> Path:
    """Executed dashboard notebook -> one HTML file with no code, prompts or injected parameters."""
    notebook = nbformat.read(executed, as_version=4)
    notebook.metadata["title"] = title
    settings = Config()
    settings.HTMLExporter.exclude_input = True
    settings.HTMLExporter.exclude_input_prompt = True
    settings.HTMLExporter.exclude_output_prompt = True
    settings.HTMLExporter.exclude_markdown = True
    settings.HTMLExporter.exclude_raw = True
    settings.TagRemovePreprocessor.enabled = True
    settings.TagRemovePreprocessor.remove_cell_tags = {"injected-parameters", "parameters"}
    settings.CSSHTMLHeaderPreprocessor.enabled = False
    exporter = DashboardExporter(
        config=settings,
        template_name="csp_dashboard",
        extra_template_basedirs=[str(config.REPORT_TEMPLATES / "nbconvert")],
    )
    exporter.register_preprocessor(ReaderOutputs(), enabled=True)
    exporter.environment.bytecode_cache = html.bytecode_cache()
    css = config.STYLESHEET.read_text(encoding="utf-8")
    body, _ = exporter.from_notebook_node(
        notebook, resources={"csp_css": css, "metadata": {"name": title}}
    )
    target.write_text(body, encoding="utf-8")
    return target
