"""Cell styles for the streaming .xlsx writer: fonts, fills and cell formats (styles.xml)."""

from __future__ import annotations

XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
NS_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'

NUMFMT_DATE = 164
NUMFMT_DATETIME = 165
NUMFMT_TEXT = 49  # built-in "@": a value retyped in Excel stays text, never a formula

_FONT = '<font>{}<sz val="11"/>{}<name val="等线"/><family val="2"/><charset val="134"/></font>'
_RESERVED_FILLS = (
    '<fill><patternFill patternType="none"/></fill>',
    '<fill><patternFill patternType="gray125"/></fill>',  # 0 and 1 are reserved by Excel
)
_BORDERS = (
    "<border><left/><right/><top/><bottom/><diagonal/></border>",
    '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>',
)
_HEADER_ALIGNMENT = '<alignment horizontal="center" vertical="center"/>'


class Styles:
    """A workbook's fonts, fills and cell formats (xf); each `add_…` returns the index to use.

    Starts with the normal font, the bold header font and fill, the thin bottom border, and
    the header format every sheet's first row uses (HEADER_STYLE).
    """

    def __init__(self) -> None:
        self.fonts: list[str] = []
        self.fills: list[str] = list(_RESERVED_FILLS)
        self.xfs: list[tuple[int, int, int, int, str]] = [(0, 0, 0, 0, "")]
        self.add_font()
        header_font = self.add_font(effect="<b/>")
        header_fill = self.add_fill("D9E1F2")
        self.header = self.add_xf(NUMFMT_TEXT, header_font, header_fill, 1, _HEADER_ALIGNMENT)

    def add_font(self, effect: str = "", rgb: str = "") -> int:
        """A font: `effect` is <b/>, <u/> or <strike/>; `rgb` the colour (RRGGBB)."""
        self.fonts.append(_FONT.format(effect, f'<color rgb="FF{rgb}"/>' if rgb else ""))
        return len(self.fonts) - 1

    def add_fill(self, rgb: str) -> int:
        self.fills.append(
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
            '<bgColor indexed="64"/></patternFill></fill>'
        )
        return len(self.fills) - 1

    def add_xf(self, num_fmt: int, font: int, fill: int = 0, border: int = 0, extra: str = "") -> int:
        self.xfs.append((num_fmt, font, fill, border, extra))
        return len(self.xfs) - 1

    def xml(self) -> str:
        xfs = "".join(_xf_xml(*xf) for xf in self.xfs)
        return (
            f"{XML_DECL}<styleSheet {NS_MAIN}>"
            f'<numFmts count="2"><numFmt numFmtId="{NUMFMT_DATE}" formatCode="yyyy-mm-dd"/>'
            f'<numFmt numFmtId="{NUMFMT_DATETIME}" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
            f'<fonts count="{len(self.fonts)}">{"".join(self.fonts)}</fonts>'
            f'<fills count="{len(self.fills)}">{"".join(self.fills)}</fills>'
            f'<borders count="{len(_BORDERS)}">{"".join(_BORDERS)}</borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(self.xfs)}">{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
            '<dxfs count="0"/><tableStyles count="0"/>'
            "</styleSheet>"
        )


HEADER_STYLE = Styles().header  # the same index in every Styles: the header comes first


def _xf_xml(num_fmt: int, font: int, fill: int, border: int, extra: str) -> str:
    applied = [
        name
        for name, used in (
            ("applyNumberFormat", num_fmt),
            ("applyFont", font),
            ("applyFill", fill),
            ("applyBorder", border),
            ("applyAlignment", extra),
        )  # fmt: skip
        if used
    ]
    attrs = "".join(f' {name}="1"' for name in applied)
    head = f'<xf numFmtId="{num_fmt}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"{attrs}'
    return f"{head}>{extra}</xf>" if extra else f"{head}/>"
