"""Export CSV et XLSX des tableaux du pilotage, à partir des chiffres mêmes qui sont affichés."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from .formatting import period_label, to_decimal
from .labels import status_label


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list]


def _n(value):
    return to_decimal(value)


def indicators_table(figures: dict) -> Table:
    rows = []
    for ind in figures["indicators"].values():
        target = ind["final_target"] or {}
        rows.append(
            [
                ind["code"],
                ind["name"],
                ind["unit"],
                "calculé" if ind["kind"] == "computed" else "saisi",
                _n(ind["actual"]),
                period_label(ind["actual_start"], ind["actual_end"]) if ind["actual_end"] else "",
                _n(ind["baseline"]["value"]),
                _n(target.get("value")),
                target.get("on") or "",
                _n(ind["progress"]),
                _n(ind["progress_raw"]),
                _n(ind["expected"]),
                _n(ind["pace"]),
                status_label(ind["status"]),
                "oui" if ind["trend_warning"] else "",
                ind["owner"],
            ]
        )
    return Table(
        "indicateurs",
        "Indicateurs",
        [
            "Code",
            "Indicateur",
            "Unité",
            "Nature",
            "Valeur",
            "Période",
            "Référence",
            "Cible finale",
            "Échéance",
            "Progression (%)",
            "Progression brute (%)",
            "Attendu (%)",
            "Rythme (%)",
            "Statut",
            "Tendance insuffisante",
            "Responsable",
        ],
        rows,
    )


def objectives_table(figures: dict) -> Table:
    rows = []
    for ambition in figures["ambitions"]:
        for objective in ambition["objectives"]:
            r = objective["rollup"]
            rows.append(
                [
                    ambition["code"],
                    objective["code"],
                    objective["title"],
                    objective["pilot"],
                    _n(r["progress"]),
                    _n(r["expected"]),
                    _n(r["pace"]),
                    status_label(r["status"]),
                    f"{r['with_data']}/{r['total']}",
                    status_label(r["worst"]),
                ]
            )
    return Table(
        "objectifs",
        "Objectifs",
        [
            "Ambition",
            "Objectif",
            "Intitulé",
            "Pilote",
            "Progression (%)",
            "Attendu (%)",
            "Rythme (%)",
            "Statut",
            "Couverture",
            "Pire critère",
        ],
        rows,
    )


def heatmap_table(figures: dict) -> Table:
    cycles = figures["heatmap"]["cycles"]
    rows = [
        [row["code"], row["title"]]
        + [
            status_label(c["status"]) + (f" (pilote : {c['checkin']['confidence']}/10)" if c["checkin"] else "")
            for c in row["cells"]
        ]
        for row in figures["heatmap"]["rows"]
    ]
    return Table(
        "carte-thermique", "Objectifs par cycle de revue", ["Objectif", "Intitulé"] + [c["name"] for c in cycles], rows
    )


def actions_table(figures: dict) -> Table:
    rows = [
        [a["title"], a["owner"], a["due_on"] or "", a["status_label"], "oui" if a["late"] else ""]
        for a in figures["actions"]
    ]
    return Table(
        "actions", "Actions en retard ou bloquées", ["Action", "Responsable", "Échéance", "État", "En retard"], rows
    )


def red_table(figures: dict) -> Table:
    rows = [[r["code"], r["name"], r["owner"], _n(r["pace"])] for r in figures["red_without_action"]]
    return Table(
        "sans-action",
        "Indicateurs hors trajectoire sans action",
        ["Code", "Indicateur", "Responsable", "Rythme (%)"],
        rows,
    )


def community_table(community: dict) -> Table:
    years = community["years"]
    rows = []
    for series in community["series"].values():
        rows.append([series["label"], series["unit"]] + [_n(v) for v in series["values"]])
    return Table("communaute", "Membres et communauté", ["Série", "Unité"] + [str(y) for y in years], rows)


def history_table(indicator, values) -> Table:
    rows = [
        [
            period_label(v.period_start, v.period_end),
            v.value,
            v.get_status_display(),
            v.get_source_display(),
            (v.entered_by.get_full_name() or v.entered_by.email) if v.entered_by else "",
            v.entered_at.strftime("%d/%m/%Y %H:%M") if v.entered_at else "",
            (v.approved_by.get_full_name() or v.approved_by.email) if v.approved_by else "",
            v.approved_at.strftime("%d/%m/%Y %H:%M") if v.approved_at else "",
            "oui" if v.late else "",
            v.correction_reason,
            v.comment,
        ]
        for v in values
    ]
    return Table(
        f"valeurs-{indicator.code}",
        f"Historique : {indicator.name}",
        [
            "Période",
            "Valeur",
            "État",
            "Origine",
            "Saisie par",
            "Saisie le",
            "Validée par",
            "Validée le",
            "Tardive",
            "Motif de correction",
            "Commentaire",
        ],
        rows,
    )


def _who(user) -> str:
    return (user.get_full_name() or user.email) if user else ""


def _at(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _day(day) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def action_plan_table(plan, actions) -> Table:
    """The whole action plan (`selectors.actions_for`): owner, team, dates, status, what it aims to move."""
    rows = [
        [
            a.title,
            _who(a.owner),
            ", ".join(sorted(_who(u) for u in a.team.all())),
            _day(a.starts_on),
            _day(a.due_on),
            a.get_status_display(),
            ", ".join(o.code for o in a.objectives.all()),
            ", ".join(str(x.number) for x in a.axes.all()),
            ", ".join(i.code for i in a.indicators.all()),
            a.update_count,
            a.description,
        ]
        for a in actions
    ]
    return Table(
        "plan-d-action",
        f"Plan d'action : {plan.name}",
        [
            "Action",
            "Responsable",
            "Équipe",
            "Début",
            "Échéance",
            "État",
            "Objectifs",
            "Axes",
            "Indicateurs",
            "Points d'avancement",
            "Description",
        ],
        rows,
    )


def targets_table(slug: str, title: str, targets) -> Table:
    """Every target ever set, superseded ones included, with who set it and why."""
    rows = [
        [
            t.indicator.code,
            t.indicator.name,
            _day(t.target_on),
            t.value,
            t.value_high,
            _who(t.set_by),
            _at(t.set_at),
            t.reason,
            _at(t.superseded_at),
        ]
        for t in targets
    ]
    return Table(
        slug,
        title,
        ["Code", "Indicateur", "Échéance", "Cible", "Borne haute", "Fixée par", "Fixée le", "Motif", "Remplacée le"],
        rows,
    )


def checkins_table(plan, checkins) -> Table:
    rows = [
        [
            c.objective.code,
            c.objective.title,
            c.cycle.name,
            _day(c.cycle.ends_on),
            status_label(c.status),
            c.confidence,
            c.what_changed,
            c.blockers,
            c.next_steps,
            c.decisions_requested,
            _who(c.by),
            _at(c.at),
        ]
        for c in checkins
    ]
    return Table(
        "points-d-etape",
        f"Points d'étape : {plan.name}",
        [
            "Objectif",
            "Intitulé",
            "Cycle",
            "Fin du cycle",
            "Appréciation",
            "Confiance (0-10)",
            "Ce qui a changé",
            "Blocages",
            "Prochaines étapes",
            "Décisions demandées",
            "Par",
            "Le",
        ],
        rows,
    )


def board_packs_table(plan, packs) -> Table:
    rows = [
        [
            p.title,
            _day(p.meeting_on),
            p.get_status_display(),
            _who(p.created_by),
            _at(p.created_at),
            _at(p.rendered_at),
            p.figures_sha256,
            p.pdf_sha256,
            str(p.reference),
        ]
        for p in packs
    ]
    return Table(
        "dossiers",
        f"Dossiers du Bureau : {plan.name}",
        [
            "Titre",
            "Réunion",
            "État",
            "Demandé par",
            "Demandé le",
            "Produit le",
            "Empreinte des chiffres (SHA-256)",
            "Empreinte du PDF (SHA-256)",
            "Référence",
        ],
        rows,
    )


def my_work_table(work: dict) -> Table:
    """One person's « Mon suivi »: values to enter and to approve, objectives piloted, open actions."""
    rows = []
    for d in work["due"]:
        rows.append(
            [
                "Valeur à saisir",
                d["indicator"].name,
                period_label(d["start"], d["end"]),
                _day(d["due_on"]),
                "en retard" if d["late"] else "",
            ]
        )
    for v in work["approvals"]:
        rows.append(
            [
                "Valeur à valider",
                v.indicator.name,
                period_label(v.period_start, v.period_end),
                _at(v.entered_at),
                f"saisie par {_who(v.entered_by)}" + (" (correction)" if v.supersedes_id else ""),
            ]
        )
    for o in work["objectives"]:
        rows.append(["Objectif piloté", f"{o.code} {o.title}", o.plan.name, "", ""])
    for a in work["actions"]:
        rows.append(["Action en cours", a.title, a.plan.name, _day(a.due_on), a.get_status_display()])
    return Table("mon-suivi", "Mon suivi", ["Nature", "Élément", "Période ou plan", "Échéance ou date", "Note"], rows)


DASHBOARD_TABLES: dict[str, Callable[[dict], Table]] = {
    "indicateurs": indicators_table,
    "objectifs": objectives_table,
    "carte-thermique": heatmap_table,
    "actions": actions_table,
    "sans-action": red_table,
}


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", ",")  # 150.0000 -> 150
    text = str(value)
    if text[:1] in ("=", "+", "-", "@"):  # no formula injection in a spreadsheet
        text = "'" + text
    return text


def to_csv(table: Table) -> bytes:
    """Semicolon-separated UTF-8 with BOM and decimal commas, as French spreadsheets expect."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31].strip() or "Export"
    ws.append(table.headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append([c if isinstance(c, Decimal | int) or c is None else _csv_cell(c) for c in row])
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
