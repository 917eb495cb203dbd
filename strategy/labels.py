"""Les mots du pilotage : libellés français des statuts et des erreurs de configuration, couleurs."""

from django.utils.translation import gettext_lazy as _

from .rules import ConfigError, Status

STATUS_LABELS = {
    Status.ON_TRACK: _("En bonne voie"),
    Status.BEHIND: _("En retard"),
    Status.OFF_TRACK: _("Hors trajectoire"),
    Status.OUTDATED: _("À mettre à jour"),
    Status.NO_DATA: _("Pas de donnée"),
    Status.CONFIG_ERROR: _("Erreur de configuration"),
    Status.TRACK_ONLY: _("Suivi sans cible"),
}

# Bootstrap contextual class, SVG fill, and an icon so that colour is never the only cue.
STATUS_STYLE = {
    Status.ON_TRACK: ("success", "#198754", "check-circle-fill"),
    Status.BEHIND: ("warning", "#e0a800", "exclamation-circle-fill"),
    Status.OFF_TRACK: ("danger", "#dc3545", "x-circle-fill"),
    Status.OUTDATED: ("secondary", "#6c757d", "clock-history"),
    Status.NO_DATA: ("light", "#e9ecef", "dash-circle"),
    Status.CONFIG_ERROR: ("info", "#6f42c1", "gear-fill"),
    Status.TRACK_ONLY: ("light", "#adb5bd", "eye"),
}

# A one-character mark drawn inside heatmap cells (the PDF may be printed in black and white).
STATUS_MARK = {
    Status.ON_TRACK: "✓",
    Status.BEHIND: "!",
    Status.OFF_TRACK: "✗",
    Status.OUTDATED: "?",
    Status.NO_DATA: "–",
    Status.CONFIG_ERROR: "⚙",
    Status.TRACK_ONLY: "·",
}

CONFIG_ERROR_LABELS = {
    ConfigError.NO_BASELINE: _("Pas de valeur de référence."),
    ConfigError.NO_TARGET: _("Pas de cible."),
    ConfigError.BASELINE_EQUALS_TARGET: _(
        "La cible est égale à la valeur de référence : la progression est indéfinie."
    ),
    ConfigError.WRONG_DIRECTION: _("La cible va dans le sens contraire du type de cible choisi."),
    ConfigError.BETWEEN_BOUNDS: _("La borne haute manque ou est inférieure à la borne basse."),
    ConfigError.THRESHOLDS: _("Les seuils sont incohérents (« en retard » doit être inférieur à « en bonne voie »)."),
}


def status_label(value: str | None) -> str:
    if not value:
        return ""
    return str(STATUS_LABELS.get(Status(value), value))


def status_style(value: str | None) -> tuple[str, str, str]:
    return STATUS_STYLE.get(Status(value or Status.NO_DATA), STATUS_STYLE[Status.NO_DATA])


def config_error_label(value: str | None) -> str:
    if not value:
        return ""
    return str(CONFIG_ERROR_LABELS.get(ConfigError(value), value))
