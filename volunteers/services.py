"""Bénévolat : toutes les écritures (engagements, bilans, charte, campagnes, suspensions)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from members.models import Member
from soce.lib.audit import audit_log
from soce.lib.exceptions import BusinessError
from soce.lib.signing import services as signing
from soce.lib.signing.client import ClientInfo
from soce.lib.signing.models import DocumentStatus, Party, SignableDocument, sha256_hex
from soce.lib.states import transition

from . import selectors
from .models import (
    CharterSignature,
    CharterVersion,
    CountersigningMandate,
    EndKind,
    EndProposal,
    EndReason,
    Engagement,
    EngagementStatus,
    Mission,
    NoticeChannel,
    ResigningCampaign,
    Review,
    VersionKind,
    VersionStatus,
)

logger = logging.getLogger(__name__)

KIND = "volunteers.charter"
REVIEWS_STEP = "volunteers-reviews-due"
REMINDER_CAMPAIGN = "benevolat"

# The consent statement the volunteer accepts (versioned: change the text, change the version).
CONSENT_VERSION = "CB-2026-1"
CONSENT_TEXT = (
    "J'ai lu la charte du bénévole dans son intégralité. Je m'engage à la respecter, ainsi que les documents "
    "de référence qu'elle cite (statuts, règlement intérieur, vademecum, fiche de mission). Je sais que mon "
    "bénévolat est librement choisi, sans lien de subordination, et que je peux y mettre fin à tout moment "
    "avec un préavis raisonnable."
)
# The evidence agreement (convention de preuve): how the signature is proven.
EVIDENCE_VERSION = "CP-2026-1"
EVIDENCE_TEXT = (
    "J'accepte que ma signature électronique soit prouvée par la connexion à mon compte, le code à usage "
    "unique envoyé à mon adresse e-mail, le journal horodaté et chaîné des étapes de la signature (dates, "
    "adresse IP, navigateur) et le cachet électronique de la Soce apposé sur le PDF ; je reconnais à ces "
    "éléments la même valeur qu'une signature manuscrite. L'image de ma signature n'en est qu'une représentation."
)
COUNTERSIGN_CONSENT_VERSION = "CR-2026-1"
COUNTERSIGN_CONSENT_TEXT = (
    "Je représente la Soce en vertu de mon mandat. Je prends acte de l'engagement du bénévole et signe la "
    "charte au nom de l'association."
)


# ---------------------------------------------------------------------------------------------- dues


def dues_ok(member: Member, today: date) -> bool:
    """Up to date for this year; until 31 March, being up to date for last year is enough (renewal period)."""
    if member.is_up_to_date(today.year):
        return True
    return today.month <= 3 and member.is_up_to_date(today.year - 1)


# ---------------------------------------------------------------------------------------------- engagements


def _to_active_first(engagement: Engagement, *, by, note: str) -> None:
    """Suspensions and endings start from ACTIVE: a review due or a suspension passes through it, logged."""
    if engagement.status in (EngagementStatus.REVIEW_DUE, EngagementStatus.SUSPENDED):
        transition(engagement, to=EngagementStatus.ACTIVE, by=by, note=note)


@transaction.atomic
def engagement_propose(
    *,
    volunteer: Member,
    mission: Mission,
    starts_on: date,
    by,
    referent: Member | None = None,
    ends_on: date | None = None,
) -> Engagement:
    """Proposes a mission to a member (side effects: row, audit)."""
    if ends_on and ends_on < starts_on:
        raise BusinessError("La fin prévue précède le début.")
    engagement = Engagement.objects.create(
        volunteer=volunteer,
        mission=mission,
        referent=referent or mission.referent,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    audit_log(engagement, action="engagement.proposed", by=by)
    return engagement


@transaction.atomic
def engagement_accept(*, engagement: Engagement, by, today: date | None = None) -> Engagement:
    """The volunteer (or staff) accepts the mission: it awaits the charter, or starts if already signed (audit)."""
    today = today or timezone.localdate()
    transition(engagement, to=EngagementStatus.AWAITING_SIGNATURE, by=by)
    if selectors.has_signed_current(member=engagement.volunteer):
        engagement_activate(engagement=engagement, by=by, today=today, note="charte en vigueur déjà signée")
    return engagement


@transaction.atomic
def engagement_activate(*, engagement: Engagement, by, today: date | None = None, note: str = "") -> Engagement:
    """Starts an engagement awaiting the charter and schedules its first review (side effects: status, review)."""
    today = today or timezone.localdate()
    transition(engagement, to=EngagementStatus.ACTIVE, by=by, note=note)
    _review_ensure(
        engagement, due_on=_add_months(max(today, engagement.starts_on), engagement.mission.review_every_months)
    )
    if not dues_ok(engagement.volunteer, today):
        engagement_suspend(engagement=engagement, cause="dues", by=by)
    return engagement


@transaction.atomic
def engagement_suspend(*, engagement: Engagement, cause: str, by=None) -> Engagement:
    """Suspends for lapsed dues (`cause="dues"`) or an unsigned major charter (side effects: flag, status)."""
    field = {"dues": "suspended_for_dues", "charter": "suspended_for_charter"}[cause]
    Engagement.objects.filter(pk=engagement.pk).update(**{field: True})
    setattr(engagement, field, True)
    if engagement.status in (EngagementStatus.ACTIVE, EngagementStatus.REVIEW_DUE):
        note = "cotisation non à jour" if cause == "dues" else "charte en vigueur non signée dans le délai"
        _to_active_first(engagement, by=by, note=f"bilan toujours dû ; suspension : {note}")
        transition(engagement, to=EngagementStatus.SUSPENDED, by=by, note=note, data={"cause": cause})
    return engagement


@transaction.atomic
def engagement_lift(*, engagement: Engagement, cause: str, by=None, today: date | None = None) -> Engagement:
    """Clears one suspension cause; resumes when none is left (side effects: flag, status, audit)."""
    today = today or timezone.localdate()
    field = {"dues": "suspended_for_dues", "charter": "suspended_for_charter"}[cause]
    Engagement.objects.filter(pk=engagement.pk).update(**{field: False})
    setattr(engagement, field, False)
    if engagement.status == EngagementStatus.SUSPENDED and not (
        engagement.suspended_for_dues or engagement.suspended_for_charter
    ):
        transition(
            engagement, to=EngagementStatus.ACTIVE, by=by, note="cause de la suspension levée", data={"cause": cause}
        )
        if engagement.reviews.filter(done_on__isnull=True, due_on__lte=today).exists():
            transition(engagement, to=EngagementStatus.REVIEW_DUE, by=by, note="bilan en retard")
    return engagement


# Where an engagement may end from: serving, or suspended (the person may stop while suspended).
ENDABLE = (EngagementStatus.ACTIVE, EngagementStatus.REVIEW_DUE, EngagementStatus.SUSPENDED)


def _withdraw_pending_proposals(engagement: Engagement, *, by, note: str) -> None:
    for proposal in EndProposal.objects.filter(engagement=engagement, status=EndProposal.Status.PENDING):
        transition(proposal, to=EndProposal.Status.WITHDRAWN, by=by, note=note)


@transaction.atomic
def engagement_give_notice(
    *,
    engagement: Engagement,
    by,
    note: str = "",
    on: date | None = None,
    channel: str = NoticeChannel.PORTAL,
) -> Engagement:
    """The volunteer stops, with notice: given in the portal, or received by staff by phone, letter…

    Side effects: status ENDING, audit (with the channel); a pending end proposal is withdrawn.
    """
    today = timezone.localdate()
    on = on or today
    if channel not in NoticeChannel.values:
        raise BusinessError("Indiquez comment le préavis a été donné.")
    if on > today:
        raise BusinessError("La date du préavis ne peut pas être dans le futur.")
    if engagement.status not in ENDABLE:
        raise BusinessError("Cet engagement n'est pas en cours : il n'y a pas de préavis à enregistrer.")
    _withdraw_pending_proposals(engagement, by=by, note="préavis donné par le bénévole")
    _to_active_first(engagement, by=by, note="préavis donné")
    transition(
        engagement,
        to=EngagementStatus.ENDING,
        by=by,
        note=note,
        data={"channel": channel, "given_on": on.isoformat()},
        end_kind=EndKind.NOTICE,
        notice_given_on=on,
        notice_channel=channel,
        end_note=note,
    )
    return engagement


@transaction.atomic
def engagement_end_at_term(
    *,
    engagement: Engagement,
    by,
    successor: Member | None = None,
    none_found: bool = False,
    today: date | None = None,
) -> Engagement:
    """Ends an engagement on its planned end date, with its successor or « none found » (statuses, audit)."""
    today = today or timezone.localdate()
    if engagement.status not in ENDABLE:
        raise BusinessError("Cet engagement n'est pas en cours : il ne peut pas arriver à son terme.")
    if engagement.ends_on is None:
        raise BusinessError(
            "Cet engagement n'a pas de fin prévue : enregistrez un préavis ou proposez une fin au Bureau."
        )
    if engagement.ends_on > today:
        raise BusinessError(f"Le terme prévu ({engagement.ends_on:%d/%m/%Y}) n'est pas encore atteint.")
    if successor is None and not none_found:
        raise BusinessError("Indiquez le successeur, ou qu'aucun n'a été trouvé.")
    _withdraw_pending_proposals(engagement, by=by, note="engagement arrivé à son terme")
    _to_active_first(engagement, by=by, note="terme de la mission")
    transition(
        engagement,
        to=EngagementStatus.ENDING,
        by=by,
        note="terme de la mission",
        end_kind=EndKind.TERM,
        end_note="Terme de la mission.",
    )
    return engagement_close(
        engagement=engagement,
        by=by,
        reason=EndReason.TERM,
        successor=successor,
        none_found=none_found,
        ended_on=engagement.ends_on,
    )


def can_validate_end(user) -> bool:
    return bool(user is not None and user.has_perm("volunteers.validate_engagement_end"))


@transaction.atomic
def engagement_end_propose(*, engagement: Engagement, by, note: str) -> EndProposal:
    """The Bénévolat team proposes a reasoned end; the engagement goes on until the Bureau validates (row, audit)."""
    note = (note or "").strip()
    if not note:
        raise BusinessError("La décision de fin doit être motivée.")
    locked = Engagement.objects.select_for_update().get(pk=engagement.pk)
    if locked.status not in ENDABLE:
        raise BusinessError("Cet engagement n'est pas en cours : il n'y a pas de fin à proposer.")
    if EndProposal.objects.filter(engagement=locked, status=EndProposal.Status.PENDING).exists():
        raise BusinessError("Une fin est déjà proposée pour cet engagement : elle attend la validation du Bureau.")
    proposal = EndProposal.objects.create(engagement=locked, note=note, proposed_by=by)
    audit_log(proposal, action="engagement.end_proposed", by=by, note=note)
    audit_log(locked, action="engagement.end_proposed", by=by, note=note, data={"proposal": proposal.pk})
    return proposal


def _locked_pending_proposal(proposal: EndProposal, by) -> EndProposal:
    locked = EndProposal.objects.select_for_update().select_related("engagement").get(pk=proposal.pk)
    if locked.status != EndProposal.Status.PENDING:
        raise BusinessError("Cette proposition a déjà été traitée.")
    if not can_validate_end(by):
        raise BusinessError("Seul un membre du Bureau peut valider ou refuser une fin décidée par l'association.")
    if locked.proposed_by_id == by.pk:
        raise BusinessError("Vous avez proposé cette fin : un autre membre du Bureau doit la valider.")
    return locked


@transaction.atomic
def engagement_end_validate(*, proposal: EndProposal, by, note: str = "") -> Engagement:
    """A member of the Bureau, not the proposer, validates: the engagement enters « ending » (statuses, audit)."""
    locked = _locked_pending_proposal(proposal, by)
    engagement = Engagement.objects.select_for_update().get(pk=locked.engagement_id)
    if engagement.status not in ENDABLE:
        raise BusinessError("Cet engagement n'est plus en cours : retirez la proposition.")
    now = timezone.now()
    transition(
        locked, to=EndProposal.Status.VALIDATED, by=by, note=note, decided_by=by, decided_at=now, decision_note=note
    )
    _to_active_first(engagement, by=by, note="fin décidée par l'association")
    transition(
        engagement,
        to=EngagementStatus.ENDING,
        by=by,
        note=locked.note,
        data={"proposal": locked.pk, "proposed_by": locked.proposed_by_id},
        end_kind=EndKind.DECISION,
        end_note=locked.note,
        bureau_validated_on=timezone.localdate(),
        notice_given_on=timezone.localdate(),
    )
    proposal.refresh_from_db()
    return engagement


@transaction.atomic
def engagement_end_reject(*, proposal: EndProposal, by, note: str) -> EndProposal:
    """A member of the Bureau, not the proposer, refuses the proposed end, with a reason (status, audit)."""
    note = (note or "").strip()
    if not note:
        raise BusinessError("Indiquez pourquoi le Bureau refuse cette fin.")
    locked = _locked_pending_proposal(proposal, by)
    transition(
        locked,
        to=EndProposal.Status.REJECTED,
        by=by,
        note=note,
        decided_by=by,
        decided_at=timezone.now(),
        decision_note=note,
    )
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def engagement_end_withdraw(*, proposal: EndProposal, by, note: str = "") -> EndProposal:
    """The Bénévolat team withdraws a proposal the Bureau has not decided yet (status, audit)."""
    locked = EndProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != EndProposal.Status.PENDING:
        raise BusinessError("Cette proposition a déjà été traitée.")
    transition(locked, to=EndProposal.Status.WITHDRAWN, by=by, note=note)
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def engagement_close(
    *,
    engagement: Engagement,
    by,
    reason: str,
    successor: Member | None = None,
    none_found: bool = False,
    ended_on: date | None = None,
) -> Engagement:
    """Ends an engagement with its reason and its successor, or « none found » (side effects: status, audit)."""
    if reason not in Engagement.EndReason.values:
        raise BusinessError("Choisissez la raison de la fin.")
    if successor is None and not none_found:
        raise BusinessError("Indiquez le successeur, ou qu'aucun n'a été trouvé.")
    if successor is not None and successor.pk == engagement.volunteer_id:
        raise BusinessError("Le successeur ne peut pas être le bénévole lui-même.")
    transition(
        engagement,
        to=EngagementStatus.ENDED,
        by=by,
        note=Engagement.EndReason(reason).label,
        end_reason=reason,
        successor=successor,
        successor_none_found=successor is None,
        ended_on=ended_on or timezone.localdate(),
    )
    engagement.reviews.filter(done_on__isnull=True).delete()  # nothing to review after the end
    return engagement


# ---------------------------------------------------------------------------------------------- reviews


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    return date(year, month, 28)


def _review_ensure(engagement: Engagement, *, due_on: date) -> Review:
    pending = engagement.reviews.filter(done_on__isnull=True).first()
    if pending is not None:
        return pending
    return Review.objects.create(engagement=engagement, due_on=due_on)


def _review_content(achievements: str, difficulties: str, needs: str, outlook: str) -> dict:
    if outlook and outlook not in Review.Outlook.values:
        raise BusinessError("Choisissez la suite envisagée.")
    return {
        "achievements": (achievements or "").strip(),
        "difficulties": (difficulties or "").strip(),
        "needs": (needs or "").strip(),
        "outlook": outlook or "",
    }


@transaction.atomic
def review_prepare(
    *,
    review: Review,
    by,
    achievements: str,
    difficulties: str = "",
    needs: str = "",
    outlook: str = "",
    next_due_on: date | None = None,
) -> Review:
    """The volunteer (or the referent) prepares the review; it stays open for the referent (row, audit)."""
    locked = Review.objects.select_for_update().get(pk=review.pk)
    if locked.done_on is not None:
        raise BusinessError("Ce bilan a déjà été validé.")
    content = _review_content(achievements, difficulties, needs, outlook)
    if next_due_on is not None and next_due_on <= timezone.localdate():
        raise BusinessError("Le prochain bilan doit être dans le futur.")
    Review.objects.filter(pk=locked.pk).update(
        **content, next_due_on=next_due_on, prepared_by=by, prepared_at=timezone.now()
    )
    audit_log(locked, action="review.prepared", by=by)
    review.refresh_from_db()
    return review


@transaction.atomic
def review_complete(
    *,
    review: Review,
    by,
    achievements: str,
    difficulties: str,
    needs: str,
    outlook: str,
    next_due_on: date | None = None,
    today: date | None = None,
) -> Review:
    """The referent (or the Bénévolat team) validates the review with the volunteer: it is closed, the next one
    scheduled and « bilan à faire » cleared (side effects: rows, status, audit)."""
    today = today or timezone.localdate()
    locked = Review.objects.select_for_update().select_related("engagement__mission").get(pk=review.pk)
    if locked.done_on is not None:
        raise BusinessError("Ce bilan a déjà été enregistré.")
    engagement = Engagement.objects.select_related("mission", "volunteer", "referent").get(pk=locked.engagement_id)
    locked.engagement = engagement
    if not selectors.can_close_review(user=by, review=locked):
        raise BusinessError(
            "Le bilan se fait avec le référent : seul le référent (ou l'équipe du bénévolat) peut le valider. "
            "Vous pouvez le préparer."
        )
    content = _review_content(achievements, difficulties, needs, outlook)
    if not content["outlook"]:
        raise BusinessError("Choisissez la suite envisagée.")
    if not content["achievements"]:
        raise BusinessError("Indiquez les réalisations de la période.")
    next_due = next_due_on or _add_months(today, engagement.mission.review_every_months)
    if next_due <= today:
        raise BusinessError("Le prochain bilan doit être dans le futur.")
    Review.objects.filter(pk=locked.pk).update(**content, done_on=today, next_due_on=next_due, completed_by=by)
    audit_log(locked, action="review.done", by=by, data={"outlook": content["outlook"]})
    if engagement.status not in (EngagementStatus.ENDING, EngagementStatus.ENDED):
        Review.objects.create(engagement=engagement, due_on=next_due)
    if engagement.status == EngagementStatus.REVIEW_DUE:
        transition(engagement, to=EngagementStatus.ACTIVE, by=by, note="bilan fait")
    locked.refresh_from_db()
    return locked


def reviews_mark_due(*, today: date) -> int:
    """Moves active engagements with an overdue review to « bilan à faire » (side effects: statuses, audit)."""
    moved = 0
    overdue = Engagement.objects.filter(
        status=EngagementStatus.ACTIVE, reviews__done_on__isnull=True, reviews__due_on__lte=today
    ).distinct()
    for engagement in overdue:
        with transaction.atomic():
            try:
                transition(engagement, to=EngagementStatus.REVIEW_DUE, by=None, note="date du bilan atteinte")
                moved += 1
            except BusinessError:
                logger.info("Engagement %s déplacé entre-temps", engagement.pk)
    return moved


# ---------------------------------------------------------------------------------------------- charter versions


@transaction.atomic
def charter_version_publish(*, version: CharterVersion, by, today: date | None = None) -> CharterVersion:
    """Freezes the text with its SHA-256 and puts it in force; a major version opens a re-signing campaign."""
    today = today or timezone.localdate()
    locked = CharterVersion.objects.select_for_update().get(pk=version.pk)
    text = signing.sanitise_html(locked.body_html)
    if not text:
        raise BusinessError("Le texte de la charte est vide.")
    previous = selectors.charter_current()
    baseline = locked if (locked.kind == VersionKind.MAJOR or previous is None) else previous.baseline
    transition(
        locked,
        to=VersionStatus.PUBLISHED,
        by=by,
        body_html=text,
        text_sha256=sha256_hex(text),
        published_at=timezone.now(),
        effective_on=today,
        baseline=baseline,
    )
    if locked.kind == VersionKind.MAJOR and previous is not None:
        campaign_start(version=locked, today=today, by=by)
    version.refresh_from_db()
    return version


@transaction.atomic
def campaign_start(*, version: CharterVersion, today: date, by=None) -> ResigningCampaign:
    """Opens the re-signing window and its reminders (side effects: campaign row, reminder steps, audit)."""
    campaign, created = ResigningCampaign.objects.get_or_create(
        version=version,
        defaults={"starts_on": today, "deadline": today + timedelta(days=version.resign_within_days)},
    )
    if created:
        audit_log(campaign, action="charter.campaign_started", by=by, data={"deadline": campaign.deadline.isoformat()})
        campaign_reminders_ensure(campaign=campaign)
    return campaign


@transaction.atomic
def campaign_extend(
    *, campaign: ResigningCampaign, deadline: date, by, reason: str, today: date | None = None
) -> ResigningCampaign:
    """Moves a re-signing campaign's deadline later (side effects: row, audit with both dates).

    The grace period runs again: the charter suspensions this campaign applied are lifted (each logged),
    and the daily job suspends anew whoever has still not signed after the new deadline.
    """
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError("Indiquez le motif de la prolongation.")
    locked = ResigningCampaign.objects.select_for_update().select_related("version").get(pk=campaign.pk)
    if deadline <= locked.deadline:
        raise BusinessError(f"La nouvelle date limite doit être postérieure à l'actuelle ({locked.deadline:%d/%m/%Y}).")
    if deadline < today:
        raise BusinessError("La nouvelle date limite est déjà passée.")
    previous, enforced = locked.deadline, locked.suspensions_done_on
    ResigningCampaign.objects.filter(pk=locked.pk).update(deadline=deadline, suspensions_done_on=None)
    current = selectors.charter_current()
    lifted = 0
    if enforced is not None and current is not None and locked.version.baseline_id == current.baseline_id:
        for engagement in Engagement.objects.filter(status__in=Engagement.BOUND, suspended_for_charter=True):
            engagement_lift(engagement=engagement, cause="charter", by=by, today=today)
            lifted += 1
    audit_log(
        locked,
        action="charter.campaign_extended",
        by=by,
        note=reason,
        data={"from": previous.isoformat(), "to": deadline.isoformat(), "suspensions_lifted": lifted},
    )
    campaign.refresh_from_db()
    return campaign


def campaign_reminders_ensure(*, campaign: ResigningCampaign) -> None:
    """The campaign's reminder steps: an announcement now, then daily reminders (side effect: steps)."""
    from soce.lib.reminders import services as reminders

    label = campaign.version.label
    reminders.step_ensure(
        code=f"volunteers-charter-{campaign.version_id}-announce",
        name=f"Charte {label} : annonce de la nouvelle signature",
        rule="volunteers.charter_resign",
        template="volunteers/charter_resign",
        send_on=campaign.starts_on,
        params={"version_id": campaign.version_id, "milestones": ["annonce"]},
        is_reminder=False,
        campaign=REMINDER_CAMPAIGN,
    )
    reminders.step_ensure(
        code=f"volunteers-charter-{campaign.version_id}-reminders",
        name=f"Charte {label} : relances avant la date limite",
        rule="volunteers.charter_resign",
        template="volunteers/charter_resign",
        rolling=True,
        params={"version_id": campaign.version_id, "milestones": ["j-14", "j-3"]},
        campaign=REMINDER_CAMPAIGN,
    )


def reviews_reminders_ensure() -> None:
    """The daily step reminding referents and volunteers of reviews (side effect: one step, once)."""
    from soce.lib.reminders import services as reminders

    reminders.step_ensure(
        code=REVIEWS_STEP,
        name="Bilans de mission : avant et après la date prévue",
        rule="volunteers.reviews_due",
        template="volunteers/review_due",
        rolling=True,
        params={"before_days": 14, "late_days": 14},
        is_reminder=False,
        campaign=REMINDER_CAMPAIGN,
    )


def campaigns_enforce(*, today: date) -> int:
    """After a campaign's deadline, suspends bound engagements of those who have not re-signed (statuses)."""
    suspended = 0
    current = selectors.charter_current()
    for campaign in ResigningCampaign.objects.filter(deadline__lt=today).select_related("version"):
        if current is None or campaign.version.baseline_id != current.baseline_id:
            continue  # superseded by a later major version: its own campaign decides
        for engagement in selectors.engagements_missing_current_charter():
            with transaction.atomic():
                engagement_suspend(engagement=engagement, cause="charter", by=None)
                suspended += 1
        ResigningCampaign.objects.filter(pk=campaign.pk, suspensions_done_on__isnull=True).update(
            suspensions_done_on=today
        )
    return suspended


# ---------------------------------------------------------------------------------------------- dues sweep


def engagements_sync_dues(*, member_id: int, today: date | None = None) -> int:
    """Suspends or resumes one member's engagements after a dues change (side effects: statuses)."""
    today = today or timezone.localdate()
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return 0
    ok = dues_ok(member, today)
    changed = 0
    for engagement in Engagement.objects.filter(volunteer=member, status__in=Engagement.BOUND).select_related(
        "volunteer"
    ):
        with transaction.atomic():
            if not ok and not engagement.suspended_for_dues:
                engagement_suspend(engagement=engagement, cause="dues")
                changed += 1
            elif ok and engagement.suspended_for_dues:
                engagement_lift(engagement=engagement, cause="dues", today=today)
                changed += 1
    return changed


def dues_sweep(*, today: date) -> int:
    """Daily safety net of the dues signal: every bound engagement agrees with its volunteer's dues."""
    member_ids = set(
        Engagement.objects.filter(status__in=Engagement.BOUND).values_list("volunteer_id", flat=True).distinct()
    )
    changed = 0
    for member in Member.objects.filter(pk__in=member_ids).only("id", "status", "paid_through_year", "lifetime_since"):
        flagged = Engagement.objects.filter(volunteer=member, status__in=Engagement.BOUND, suspended_for_dues=True)
        if dues_ok(member, today) == flagged.exists():
            changed += engagements_sync_dues(member_id=member.pk, today=today)
    return changed


def volunteers_daily(*, today: date | None = None) -> dict:
    """The daily job: dues, overdue reviews, campaign deadlines, reminder steps (side effects: statuses, steps)."""
    today = today or timezone.localdate()
    try:
        reviews_reminders_ensure()
    except Exception:  # the reminders engine must not stop suspensions and reviews
        logger.exception("Étape de relance des bilans impossible à créer")
    return {
        "dues": dues_sweep(today=today),
        "reviews_due": reviews_mark_due(today=today),
        "charter_suspended": campaigns_enforce(today=today),
    }


# ---------------------------------------------------------------------------------------------- signing


def identity_of(member: Member, *, mission: Mission | None = None, capacity: str = "") -> dict:
    """The identity snapshot shown to confirm and printed on the PDF."""
    identity = {
        "last_name": member.last_name,
        "first_name": member.first_name,
        "promo": member.promo_label,
        "email": member.contact_email,
    }
    if mission is not None:
        identity["mission"] = f"{mission.title} ({mission.structure_label})"
    if capacity:
        identity["capacity"] = capacity
    return identity


@transaction.atomic
def charter_signature_start(
    *, member: Member, user, client: ClientInfo | None = None, today: date | None = None
) -> CharterSignature:
    """Opens (or resumes) the volunteer's signature of the charter in force (side effects: document, evidence)."""
    today = today or timezone.localdate()
    problems = selectors.charter_preconditions(member=member, today=today)
    if problems:
        raise BusinessError(problems[0].message)
    version = selectors.charter_current()
    existing = (
        CharterSignature.objects.select_related("document")
        .filter(volunteer=member, version=version, document__status=DocumentStatus.PENDING)
        .first()
    )
    if existing is not None:
        return existing
    engagement = selectors.engagement_to_sign_for(member=member)
    mission = engagement.mission if engagement else None
    signature = CharterSignature(
        volunteer=member,
        version=version,
        engagement=engagement,
        mission_group=mission.group if mission else None,
    )
    document = signing.document_create(
        kind=KIND,
        title=version.title,
        version_label=version.label,
        text_html=version.body_html,
        parties=[
            signing.PartySpec(
                role=Party.Role.SIGNER, label="Le bénévole", user=user, identity=identity_of(member, mission=mission)
            ),
            signing.PartySpec(role=Party.Role.COUNTERSIGNER, label="Pour la Soce"),
        ],
        by=user,
    )
    signature.document = document
    signature.save()
    SignableDocument.objects.filter(pk=document.pk).update(object_id=str(signature.pk), content_type=_ctype())
    if document.text_sha256 != version.text_sha256:
        raise BusinessError("Le texte de la charte ne correspond pas à sa version publiée.")
    return signature


def _ctype():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(CharterSignature)


@transaction.atomic
def charter_signer_confirm(*, signature: CharterSignature, user, client: ClientInfo | None = None) -> CharterSignature:
    """The volunteer confirms identity, consent and evidence agreement; a code is e-mailed (evidence, outbox)."""
    party = selectors.signer_party(signature=signature)
    member = signature.volunteer
    mission = signature.engagement.mission if signature.engagement_id else None
    identity = identity_of(member, mission=mission)
    signing.party_open(party=party, user=user, client=client)
    signing.party_confirm(
        party=party,
        user=user,
        identity=identity,
        consent_text=f"{CONSENT_TEXT}\n\n{EVIDENCE_TEXT}",
        consent_version=f"{CONSENT_VERSION}+{EVIDENCE_VERSION}",
        client=client,
    )
    signing.otp_send(party=party, user=user, to=identity["email"], client=client)
    return signature


@transaction.atomic
def countersign_confirm(
    *,
    signature: CharterSignature,
    user,
    mandate: CountersigningMandate,
    client: ClientInfo | None = None,
) -> CharterSignature:
    """A representative takes the charter, confirms identity and consent; a code is e-mailed (evidence, outbox)."""
    representative = mandate.member
    if representative.pk == signature.volunteer_id:
        raise BusinessError("Vous ne pouvez pas contresigner votre propre charte.")
    if representative.user_id != user.pk:
        raise BusinessError("Ce mandat de contresignature n'est pas le vôtre.")
    today = timezone.localdate()
    if not selectors.mandate_in_force(mandate, today):
        raise BusinessError(f"Votre mandat « {mandate.capacity} » n'est pas en vigueur aujourd'hui.")
    if not selectors.mandate_covers(mandate, signature):
        group = signature.mission_group.name if signature.mission_group_id else "un service national"
        raise BusinessError(
            f"Votre mandat « {mandate.capacity} » ne couvre pas cette charte (mission pour {group}) : "
            "choisissez un mandat qui couvre ce groupe."
        )
    party = selectors.countersigner_party(signature=signature)
    identity = identity_of(representative, capacity=mandate.capacity)
    signing.party_open(party=party, user=user, client=client)
    signing.party_claim(party=party, user=user, identity=identity, capacity=mandate.capacity, client=client)
    signing.party_confirm(
        party=party,
        user=user,
        identity=identity,
        consent_text=COUNTERSIGN_CONSENT_TEXT,
        consent_version=COUNTERSIGN_CONSENT_VERSION,
        client=client,
    )
    signing.otp_send(party=party, user=user, to=identity["email"], client=client)
    return signature


def charter_pdf_downloaded(*, signature: CharterSignature, by, request=None) -> None:
    """Staff opened someone's sealed charter: one audit row (who, when, from where)."""
    audit_log(signature, action="charter.pdf_downloaded", by=by, request=request)


def otp_resend(*, party: Party, user, client: ClientInfo | None = None):
    """Sends a new code to the party's confirmed address (side effects: challenge, outbox, evidence)."""
    return signing.otp_send(party=party, user=user, to=party.identity.get("email", ""), client=client)


# Hooks called by the signing engine inside its transactions (registered in apps.py).


def _after_volunteer_signed(signature: CharterSignature, *, by) -> None:
    """Activates engagements awaiting the charter and lifts charter suspensions (statuses, reviews)."""
    current = selectors.charter_current()
    if current is None or signature.version.baseline_id != current.baseline_id:
        return
    today = timezone.localdate()
    # The volunteer's own signature fulfils their duty: the countersignature is the association's
    # acknowledgement and must not keep them waiting.
    for engagement in Engagement.objects.filter(volunteer=signature.volunteer).select_related("mission", "volunteer"):
        if engagement.status == EngagementStatus.AWAITING_SIGNATURE:
            note = f"charte {signature.version.label} signée"
            engagement_activate(engagement=engagement, by=by, today=today, note=note)
        elif engagement.suspended_for_charter:
            engagement_lift(engagement=engagement, cause="charter", by=by, today=today)


def on_party_signed(document: SignableDocument, party: Party) -> None:
    signature = CharterSignature.objects.select_related("version", "volunteer").get(document=document)
    if party.role == Party.Role.COUNTERSIGNER:
        CharterSignature.objects.filter(pk=signature.pk).update(countersigned_at=party.signed_at)
        return
    CharterSignature.objects.filter(pk=signature.pk).update(volunteer_signed_at=party.signed_at)
    signature.volunteer_signed_at = party.signed_at
    _after_volunteer_signed(signature, by=party.user)


@transaction.atomic
def charter_paper_record(
    *, volunteer: Member, version: CharterVersion, signed_at, by, countersigned_at=None
) -> CharterSignature:
    """Records a charter signed on paper (archived at the head office) (side effects: row, statuses, audit)."""
    if not version.is_published:
        raise BusinessError("Seule une version publiée peut avoir été signée.")
    engagement = selectors.engagement_to_sign_for(member=volunteer)
    signature = CharterSignature.objects.create(
        volunteer=volunteer,
        version=version,
        engagement=engagement,
        mission_group=engagement.mission.group if engagement else None,
        on_paper=True,
        volunteer_signed_at=signed_at,
        countersigned_at=countersigned_at,
    )
    audit_log(signature, action="charter.paper_recorded", by=by)
    _after_volunteer_signed(signature, by=by)
    return signature


def on_declined(document: SignableDocument, party: Party) -> None:
    CharterSignature.objects.filter(document=document).update(declined_at=timezone.now())


def pdf_context(document: SignableDocument) -> dict:
    signature = CharterSignature.objects.select_related("version").filter(document=document).first()
    return {"charter_signature": signature, "version": signature.version if signature else None}


def portal_url(document: SignableDocument, party: Party) -> str:
    from django.urls import reverse

    signature = CharterSignature.objects.filter(document=document).only("public_id").first()
    if signature is None:
        return ""
    if party.role == Party.Role.COUNTERSIGNER:
        return reverse("volunteers:countersign", args=[signature.public_id])
    return reverse("volunteers:charter_step", args=[signature.public_id])
