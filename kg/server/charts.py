"""Bar charts as inline SVG, drawn on the server: no script, nothing loaded from elsewhere."""

from __future__ import annotations

from html import escape


def bars_svg(rows: list[tuple[str, float, str]], title: str, unit: str = "") -> str:
    """Horizontal bars: (label, value, note) per row; the value is written beside its bar."""
    top = max([value for _, value, _ in rows] + [1.0])
    width, row, left = 520, 22, 90
    out = [
        f'<svg class="chart" viewBox="0 0 {width + left + 150} {row * len(rows) + 8}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value, note) in enumerate(rows):
        y = i * row + 4
        w = width * value / top
        text = f"{unit}{value:,.0f}" + (f" {note}" if note else "")
        out.append(
            f'<text x="0" y="{y + 14}">{escape(label)}</text>'
            f'<rect class="stated" x="{left}" y="{y}" width="{w:.1f}" height="{row - 6}">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 14}">{escape(text)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
