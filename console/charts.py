"""Charts rendered on the server as inline SVG with pygal: no script, nothing fetched by the browser.
Every chart carries its numbers as a table too (``Chart.rows``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import pygal
from pygal.style import Style

# pygal always inlines its config as a script for its (unused) tooltips; the page needs none of it
_SCRIPT = re.compile(r"<script.*?</script>", re.S)
FONT = '"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif'


@dataclass
class Chart:
    title: str
    svg: str
    headers: Sequence[str]
    rows: list[Sequence]
    wide: bool = False  # a table of many columns: drawn under the chart instead of beside it


@lru_cache
def _style() -> Style:
    return Style(font_family=FONT, background="white", plot_background="white", foreground="#364152",
                 foreground_strong="#1f2933", foreground_subtle="#e3e8ef", opacity=".9", opacity_hover="1",
                 colors=("#1664ff", "#12b76a", "#f79009", "#7a5af8", "#f04438", "#0ba5ec"),
                 label_font_size=12, major_label_font_size=12, value_font_size=11, legend_font_size=12,
                 title_font_size=14, tooltip_font_size=12, guide_stroke_color="#eef2f6",
                major_guide_stroke_color="#e3e8ef", guide_stroke_dasharray="0", major_guide_stroke_dasharray="0")


def _config(**extra) -> dict:
    # js=[]: pygal's default pulls a tooltip script from a CDN; the console fetches nothing from outside.
    return dict(style=_style(), js=[], disable_xml_declaration=True, explicit_size=False, width=640,
                height=extra.pop("height", 320), show_legend=extra.pop("show_legend", True), legend_at_bottom=True,
                print_values=True, print_zeroes=False, truncate_label=-1, truncate_legend=-1, show_x_guides=False,
                show_y_guides=False, margin=12, **extra)


def bars(title: str, labels: list[str], series: dict[str, list[int | float]], headers: Sequence[str],
         rows: list[Sequence]) -> Chart:
    """Horizontal bars, read from the top: Chinese names stay level and whole."""
    chart = pygal.HorizontalBar(**_config(height=max(200, (22 + 14 * len(series)) * len(labels) + 90),
                                          show_legend=len(series) > 1))
    # pygal draws the first label at the bottom, and sizes the label margin by character count as if every
    # character were Latin: trailing spaces (not drawn) make room for the double-width Chinese ones
    chart.x_labels = [label + " " * sum(1 for ch in label if ord(ch) > 0x2E80) for label in labels[::-1]]
    for name, values in series.items():
        chart.add(name, values[::-1])
    return Chart(title, _svg(chart), headers, rows)


def _svg(chart) -> str:
    return _SCRIPT.sub("", chart.render(is_unicode=True))
