"""The overview sheets of the three kinds: Handleplan, Effekt, Tilgang og afgang.

Each says which columns a line has and what goes in them; summary_blocks.Overview does
the blocks, totals, layout and streaming.
"""

from __future__ import annotations

from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill

from syncservice.summary_blocks import Overview, Values, width
from syncservice.summary_cells import GREEN, PERCENT_FORMAT, RED, YELLOW, Look, centred, number, text


class HandleplanOverview(Overview):
    kind = "handleplan"
    sheet_title = "Handleplan"
    title = "Handleplan: mål, realiseret og forventet besparelse"
    explanation = ("Afvigelse til mål = Mål − Forventet. Opnået % = Forventet / Mål. "
                   "Status: Grøn ved mindst 100 %, Gul ved mindst 75 %, ellers Rød.")
    empty = "Ingen handleplaner er modtaget endnu."
    line_label = "Område"
    FIGURES = ("Mål", "Realiseret", "Forventet", "Afvigelse til mål", "Opnået %", "Status")

    def figure_columns(self) -> list[tuple[str, float]]:
        return [(name, 10 if name == "Status" else 13) for name in self.FIGURES]

    def figures(self, values: Values, look: Look) -> list:
        target, realised, expected = (values.get((m, "")) for m in ("Mål", "Realiseret", "Forventet"))
        gap = None if target is None or expected is None else target - expected
        share = None if not target or expected is None else expected / target
        return [self.amount(target, look), self.amount(realised, look), self.amount(expected, look),
                self.amount(gap, look), number(self.ws, share, PERCENT_FORMAT, look),
                text(self.ws, traffic_light(share), centred(look))]

    def conditional_formatting(self, first: int, last: int) -> None:
        share, status = self.figure_letter(4), self.figure_letter(5)
        cf = self.ws.conditional_formatting
        top = f"{share}{first}"
        for (fill, font), test in ((GREEN, f"{top}>=1"), (YELLOW, f"AND({top}>=0.75,{top}<1)"),
                                   (RED, f"{top}<0.75")):
            cf.add(f"{share}{first}:{share}{last}",
                   FormulaRule(formula=[f"AND(ISNUMBER({top}),{test})"], **_colours(fill, font)))
        for (fill, font), word in ((GREEN, "Grøn"), (YELLOW, "Gul"), (RED, "Rød")):
            cf.add(f"{status}{first}:{status}{last}",
                   CellIsRule(operator="equal", formula=[f'"{word}"'], **_colours(fill, font)))


class EffektOverview(Overview):
    kind = "effekt"
    sheet_title = "Effekt"
    title = "Forventet økonomisk effekt pr. tiltag"
    explanation = ("Negative beløb er besparelser. År er indberetningens år; "
                   "kolonnerne er de år, effekten gælder.")
    empty = "Ingen opgørelser af økonomisk effekt er modtaget endnu."
    line_label = "Tiltag"

    def label_columns(self) -> list[tuple[str, float]]:
        tiltag = (self.line_label, width(self.layout.line_len, 14, 60))
        return [("Spor", 7), tiltag] if self.layout.tracks else [tiltag]

    def labels(self, line: str, track: str) -> list[str]:
        return [track, line] if self.layout.tracks else [line]

    def figure_columns(self) -> list[tuple[str, float]]:
        return [(year, 12) for year in self.layout.sorted_periods()]

    def figures(self, values: Values, look: Look) -> list:
        return [self.amount(values.get(("Effekt", year)), look) for year in self.layout.sorted_periods()]


class TilgangOverview(Overview):
    kind = "tilgang_afgang"
    sheet_title = "Tilgang og afgang"
    title = "Tilgang og afgang på dagtilbud"
    explanation = "Nettoændring = Ultimo − Primo. Kvartaler uden tal i en opgørelse er tomme."
    empty = "Ingen opgørelser af tilgang og afgang er modtaget endnu."
    line_label = "Dagtilbud"

    def subtitle(self) -> str:
        return "Antal borgere"

    def figure_columns(self) -> list[tuple[str, float]]:
        quarters = [(f"{q} {what}", 9) for q in self.layout.sorted_periods() for what in ("tilgang", "afgang")]
        places = [("Pladser", 9)] if self.layout.places else []
        return [("Primo", 9), *quarters, ("Ultimo", 9), ("Netto-ændring", 10), *places]

    def figures(self, values: Values, look: Look) -> list:
        start, end = values.get(("Primo", "")), values.get(("Ultimo", ""))
        cells = [self.count(start, look)]
        for q in self.layout.sorted_periods():
            cells += [self.count(values.get(("Tilgang", q)), look), self.count(values.get(("Afgang", q)), look)]
        cells += [self.count(end, look), self.count(None if start is None or end is None else end - start, look)]
        if self.layout.places:
            cells.append(self.count(values.get(("Pladser", "")), look))
        return cells


OVERVIEWS: tuple[type[Overview], ...] = (HandleplanOverview, EffektOverview, TilgangOverview)

def traffic_light(share: float | None) -> str:
    """Forventet / Mål → 'Grøn' (≥ 100 %), 'Gul' (≥ 75 %), 'Rød'; '' without a target."""
    if share is None:
        return ""
    if share >= 1 - 1e-9:
        return "Grøn"
    return "Gul" if share >= 0.75 - 1e-9 else "Rød"


def _colours(fill: str, font: str) -> dict:
    return {"fill": PatternFill("solid", fgColor=fill, bgColor=fill), "font": Font(color=font)}
