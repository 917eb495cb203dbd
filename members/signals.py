"""Signaux des membres, pour les apps des étages supérieurs (bénévolat, entraide…).

`dues_status_changed` est envoyé après commit quand la situation de cotisation d'un membre change
(paiement enregistré, contre-passation, radiation, réintégration). Les récepteurs ne font que du
travail découplé (p. ex. suspendre ou réactiver un engagement bénévole via un service).
"""

from django.dispatch import Signal

# kwargs: member_id (int), up_to_date (bool) for the current year
dues_status_changed = Signal()
