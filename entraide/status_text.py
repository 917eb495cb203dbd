"""Ce que le demandeur lit sur son dossier : des phrases simples, sans les étapes internes."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import AidCase, CaseStatus, Loan, LoanStatus


@dataclass(frozen=True)
class MemberStatus:
    label: str
    explanation: str
    tone: str  # Bootstrap colour


CASE_TEXT = {
    CaseStatus.DRAFT: MemberStatus(
        _("Brouillon"), _("Votre demande n'est pas encore envoyée : relisez-la puis envoyez-la."), "secondary"
    ),
    CaseStatus.SUBMITTED: MemberStatus(
        _("Reçue"), _("Nous avons bien reçu votre demande ; un bénévole de l'entraide va s'en occuper."), "info"
    ),
    CaseStatus.INCOMPLETE: MemberStatus(
        _("Il manque quelque chose"),
        _("Ajoutez les éléments demandés ci-dessous, puis renvoyez votre demande."),
        "warning",
    ),
    CaseStatus.INSTRUCTION: MemberStatus(
        _("En cours d'examen"), _("Un bénévole étudie votre demande et peut vous contacter."), "info"
    ),
    CaseStatus.OPINIONS: MemberStatus(
        _("En cours d'examen"), _("Un bénévole étudie votre demande et peut vous contacter."), "info"
    ),
    CaseStatus.READY: MemberStatus(
        _("Bientôt examinée par le comité"), _("Le comité d'entraide se réunit chaque mois."), "info"
    ),
    CaseStatus.IN_SESSION: MemberStatus(
        _("Examinée par le comité"), _("Le comité examine votre demande ce mois-ci."), "info"
    ),
    CaseStatus.APPROVED: MemberStatus(
        _("Accordée"), _("Le comité a accordé une aide ; vous trouverez ci-dessous la suite."), "success"
    ),
    CaseStatus.REJECTED: MemberStatus(
        _("Non retenue"),
        _("Le comité n'a pas pu donner suite ; le service entraide reste à votre écoute pour en parler."),
        "secondary",
    ),
    CaseStatus.ADJOURNED: MemberStatus(
        _("Examen reporté"), _("Le comité a besoin d'éléments complémentaires ; il la réexaminera."), "warning"
    ),
    CaseStatus.WITHDRAWN: MemberStatus(_("Retirée"), _("Cette demande a été retirée."), "secondary"),
    CaseStatus.CLOSED: MemberStatus(_("Terminée"), _("L'aide est entièrement réglée."), "secondary"),
}

_RELAY_UNDER_REVIEW = MemberStatus(
    _("En cours d'examen"),
    _("La demande suit son cours ; le service entraide en parle directement avec la personne aidée."),
    "info",
)
_RELAY_DONE = MemberStatus(
    _("Examen terminé"),
    _("Le comité a examiné la demande ; sa réponse a été communiquée à la personne aidée."),
    "secondary",
)

# What a relay (the delegate who filed for someone else) reads: that the request went through and where
# it broadly stands, never what was decided.
RELAY_CASE_TEXT = {
    CaseStatus.DRAFT: MemberStatus(
        _("Brouillon"), _("La demande n'est pas encore envoyée : relisez-la puis envoyez-la."), "secondary"
    ),
    CaseStatus.SUBMITTED: MemberStatus(
        _("Transmise"),
        _("Le service entraide a bien reçu la demande ; il s'adresse désormais directement à la personne aidée."),
        "info",
    ),
    CaseStatus.INCOMPLETE: MemberStatus(
        _("Compléments demandés"),
        _(
            "Le service entraide a demandé des compléments à la personne aidée ; vous pouvez ajouter ici les pièces "
            "qu'elle vous confie, puis renvoyer la demande."
        ),
        "warning",
    ),
    CaseStatus.INSTRUCTION: _RELAY_UNDER_REVIEW,
    CaseStatus.OPINIONS: _RELAY_UNDER_REVIEW,
    CaseStatus.READY: _RELAY_UNDER_REVIEW,
    CaseStatus.IN_SESSION: _RELAY_UNDER_REVIEW,
    CaseStatus.ADJOURNED: _RELAY_UNDER_REVIEW,
    CaseStatus.APPROVED: _RELAY_DONE,
    CaseStatus.REJECTED: _RELAY_DONE,
    CaseStatus.CLOSED: _RELAY_DONE,
    CaseStatus.WITHDRAWN: MemberStatus(_("Retirée"), _("Cette demande a été retirée."), "secondary"),
}

LOAN_TEXT = {
    LoanStatus.OFFERED: MemberStatus(
        _("Contrat à signer"), _("Signez votre contrat pour recevoir les fonds."), "warning"
    ),
    LoanStatus.SIGNED: MemberStatus(_("Contrat signé"), _("Le versement est en préparation."), "info"),
    LoanStatus.DISBURSING: MemberStatus(_("Versement en cours"), _("Une partie des fonds vous a été versée."), "info"),
    LoanStatus.DEFERRED: MemberStatus(
        _("Remboursement différé"), _("Rien à rembourser avant la première échéance."), "info"
    ),
    LoanStatus.REPAYING: MemberStatus(_("En remboursement"), _("Merci de suivre votre échéancier."), "primary"),
    LoanStatus.REPAID: MemberStatus(_("Remboursé"), _("Merci : votre prêt est entièrement remboursé."), "success"),
    LoanStatus.FORGIVEN: MemberStatus(_("Solde offert"), _("Le comité a transformé le solde en don."), "success"),
    LoanStatus.WRITTEN_OFF: MemberStatus(
        _("Clos"), _("Ce prêt est clos ; contactez le service entraide."), "secondary"
    ),
    LoanStatus.CANCELLED: MemberStatus(_("Annulé"), _("Ce prêt n'a pas été mis en place."), "secondary"),
}


def case_status_for_member(case: AidCase) -> MemberStatus:
    return CASE_TEXT[case.status]


def loan_status_for_member(loan: Loan) -> MemberStatus:
    return LOAN_TEXT[loan.status]


def case_status_for_relay(case: AidCase) -> MemberStatus:
    return RELAY_CASE_TEXT[case.status]
