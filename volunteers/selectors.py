"""Bénévolat : lectures et règles de visibilité (404 pour qui n'a pas à voir)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from html import unescape

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone

from members.models import Member
from soce.lib.signing.models import DocumentStatus, Party, PartyRole, PartyStatus

from .models import (
    CharterSignature,
    CharterVersion,
    CountersigningMandate,
    Engagement,
    EngagementStatus,
    Review,
    VersionStatus,
)

# ---------------------------------------------------------------------------------------------- versions


def charter_current() -> CharterVersion | None:
    """The version in force: the latest published one."""
    return (
        CharterVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("baseline")
        .order_by("-published_at", "-id")
        .first()
    )


def _signed_versions(member_ids=None):
    """Volunteer-signed, not declined charter signatures."""
    qs = CharterSignature.objects.filter(volunteer_signed_at__isnull=False, declined_at__isnull=True)
    if member_ids is not None:
        qs = qs.filter(volunteer_id__in=member_ids)
    return qs


def has_signed_current(*, member: Member, current: CharterVersion | None = None) -> bool:
    current = current or charter_current()
    if current is None:
        return False
    return _signed_versions().filter(volunteer=member, version__baseline_id=current.baseline_id).exists()


def latest_signature_of(*, member: Member) -> CharterSignature | None:
    return (
        CharterSignature.objects.filter(volunteer=member)
        .select_related("version", "document")
        .order_by("-created_at", "-id")
        .first()
    )


def engagements_missing_current_charter():
    """Serving engagements (or suspended for another cause) whose volunteer has not signed the version in force."""
    current = charter_current()
    if current is None:
        return Engagement.objects.none()
    signed_current = _signed_versions().filter(
        volunteer=OuterRef("volunteer"), version__baseline_id=current.baseline_id
    )
    return (
        Engagement.objects.filter(
            Q(status__in=Engagement.SERVING) | Q(status=EngagementStatus.SUSPENDED, suspended_for_charter=False)
        )
        .exclude(Exists(signed_current))
        .select_related("volunteer", "mission")
    )


def versions_adoption() -> list[dict]:
    """For each published version: how many bound volunteers have it as their latest signed charter."""
    latest = (
        _signed_versions()
        .filter(volunteer=OuterRef("volunteer"))
        .order_by("-volunteer_signed_at")
        .values("version_id")[:1]
    )
    bound = (
        Engagement.objects.filter(status__in=Engagement.BOUND)
        .values("volunteer")
        .distinct()
        .annotate(version_id=Subquery(latest))
    )
    counts: dict[int | None, int] = {}
    for row in bound:
        counts[row["version_id"]] = counts.get(row["version_id"], 0) + 1
    current = charter_current()
    rows = []
    for version in CharterVersion.objects.filter(status=VersionStatus.PUBLISHED).order_by("-published_at"):
        rows.append(
            {
                "version": version,
                "count": counts.get(version.pk, 0),
                "current": current is not None and version.baseline_id == current.baseline_id,
            }
        )
    return [*rows, {"version": None, "count": counts.get(None, 0), "current": False}]


def still_on_older_version() -> int:
    """Bound volunteers whose latest signed charter is not on the version in force (or who never signed)."""
    return sum(row["count"] for row in versions_adoption() if not row["current"])


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</(p|h[1-6]|li|tr|blockquote)>|<br\s*/?>|<hr\s*/?>", re.IGNORECASE)


def html_to_lines(html: str) -> list[str]:
    text = _BLOCK.sub("\n", html or "")
    text = unescape(_TAG.sub("", text))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def charter_diff(*, old: CharterVersion, new: CharterVersion) -> str:
    """A side-by-side HTML table of the text changes (difflib escapes the text itself)."""
    return difflib.HtmlDiff(wrapcolumn=70).make_table(
        html_to_lines(old.body_html),
        html_to_lines(new.body_html),
        fromdesc=str(old),
        todesc=str(new),
        context=True,
        numlines=2,
    )


# ---------------------------------------------------------------------------------------------- preconditions


@dataclass(frozen=True)
class Problem:
    code: str  # "no_version", "no_member", "no_engagement", "dues"
    message: str


def engagement_to_sign_for(*, member: Member) -> Engagement | None:
    """The engagement printed on the charter: one awaiting the signature first, else the latest bound one."""
    engagements = Engagement.objects.filter(volunteer=member).select_related("mission__group")
    return (
        engagements.filter(status=EngagementStatus.AWAITING_SIGNATURE).order_by("-starts_on").first()
        or engagements.filter(status__in=Engagement.BOUND).order_by("-starts_on").first()
    )


def charter_preconditions(*, member: Member | None, today: date) -> list[Problem]:
    """Why this person cannot sign now (empty list: they can)."""
    from .services import dues_ok

    problems = []
    if charter_current() is None:
        problems.append(Problem("no_version", "Aucune version de la charte n'est publiée pour l'instant."))
    if member is None:
        problems.append(Problem("no_member", "Votre compte n'est pas encore relié à une fiche de membre."))
        return problems
    if engagement_to_sign_for(member=member) is None:
        problems.append(
            Problem(
                "no_engagement",
                "Vous n'avez pas de mission acceptée : la charte se signe quand une mission vous est confiée.",
            )
        )
    if not dues_ok(member, today):
        problems.append(
            Problem(
                "dues",
                f"Votre cotisation {today.year} n'est pas réglée : être à jour de cotisation est le premier "
                "devoir du bénévole.",
            )
        )
    return problems


# ---------------------------------------------------------------------------------------------- access


def member_of(user) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("campus", "category").filter(user=user).first()


def signer_party(*, signature: CharterSignature) -> Party:
    return Party.objects.select_related("document").get(document_id=signature.document_id, role=PartyRole.SIGNER)


def countersigner_party(*, signature: CharterSignature) -> Party:
    return Party.objects.select_related("document").get(document_id=signature.document_id, role=PartyRole.COUNTERSIGNER)


def signature_for_signer(*, user, public_id) -> CharterSignature:
    """The volunteer's own signature; 404 for anyone else."""
    signature = (
        CharterSignature.objects.select_related("version", "document", "volunteer__campus", "engagement__mission")
        .filter(public_id=public_id, volunteer__user=user, document__isnull=False)
        .first()
    )
    if signature is None:
        raise Http404
    return signature


def mandates_for(
    *, member: Member | None, today: date | None = None, covering: CharterSignature | None = None
) -> list[CountersigningMandate]:
    """The member's mandates in force today; with `covering`, only those that cover that charter's group."""
    if member is None:
        return []
    today = today or timezone.localdate()
    mandates = (
        CountersigningMandate.objects.filter(member=member, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("group", "member")
    )
    if covering is not None:
        mandates = mandates.filter(Q(group__isnull=True) | Q(group_id=covering.mission_group_id))
    return list(mandates)


def mandate_covers(mandate: CountersigningMandate, signature: CharterSignature) -> bool:
    """A national mandate covers every charter; a group mandate only the charters of its group."""
    return mandate.group_id is None or mandate.group_id == signature.mission_group_id


def mandate_in_force(mandate: CountersigningMandate, today: date) -> bool:
    return mandate.starts_on <= today and (mandate.ends_on is None or mandate.ends_on >= today)


def countersign_queue(*, member: Member | None, today: date | None = None, mandates=None):
    """Charters signed by their volunteer, awaiting a countersignature this member may give (never their own)."""
    if mandates is None:
        mandates = mandates_for(member=member, today=today)
    if not mandates:
        return CharterSignature.objects.none()
    qs = CharterSignature.objects.filter(
        volunteer_signed_at__isnull=False,
        countersigned_at__isnull=True,
        declined_at__isnull=True,
        document__status=DocumentStatus.PENDING,
    ).exclude(volunteer=member)
    if not any(m.group_id is None for m in mandates):
        qs = qs.filter(mission_group_id__in=[m.group_id for m in mandates])
    return qs.select_related("volunteer__campus", "version", "engagement__mission__group").order_by(
        "volunteer_signed_at", "id"
    )


def signature_for_countersigner(*, user, public_id, today: date | None = None) -> CharterSignature:
    """A charter in this representative's queue, or one they countersigned; 404 otherwise."""
    member = member_of(user)
    in_queue = countersign_queue(member=member, today=today).filter(public_id=public_id).first()
    if in_queue is not None:
        return in_queue
    done = (
        CharterSignature.objects.select_related("version", "document", "volunteer__campus", "engagement__mission")
        .filter(
            public_id=public_id,
            document__parties__role=PartyRole.COUNTERSIGNER,
            document__parties__user=user,
        )
        .exclude(volunteer__user=user)
        .first()
    )
    if done is None:
        raise Http404
    return done


def signature_for_download(*, user, public_id, second_factor: bool = False) -> CharterSignature:
    """The sealed charter for its volunteer or its countersigner; 404 otherwise.

    Staff who may view every charter (Bénévolat, Bureau) get it here only when this session passed the
    second factor (`second_factor`), as the admin requires: a stolen password alone opens no charter.
    """
    qs = CharterSignature.objects.select_related("document", "version").filter(
        public_id=public_id, document__status=DocumentStatus.SEALED
    )
    signature = (
        qs.filter(
            Q(volunteer__user=user) | Q(document__parties__user=user, document__parties__status=PartyStatus.SIGNED)
        )
        .distinct()
        .first()
    )
    if signature is None and second_factor and user.has_perm("volunteers.view_chartersignature"):
        signature = qs.first()
        if signature is not None:
            signature.downloaded_as_staff = True
    if signature is None:
        raise Http404
    return signature


def engagement_for_volunteer(*, user, public_id) -> Engagement:
    engagement = Engagement.objects.select_related("mission").filter(public_id=public_id, volunteer__user=user).first()
    if engagement is None:
        raise Http404
    return engagement


def review_for(*, user, public_id) -> Review:
    """A review for its volunteer or referent; 404 otherwise."""
    review = (
        Review.objects.select_related(
            "engagement__mission", "engagement__volunteer", "engagement__referent", "completed_by"
        )
        .filter(public_id=public_id)
        .filter(Q(engagement__volunteer__user=user) | Q(engagement__referent__user=user))
        .first()
    )
    if review is None:
        raise Http404
    return review


def can_close_review(*, user, review: Review) -> bool:
    """The review is done with the referent: the referent (never the volunteer) or the Bénévolat team closes it."""
    if user is None or not user.is_authenticated:
        return False
    engagement = review.engagement
    if engagement.volunteer.user_id == user.pk:
        return False  # even a volunteer who is also named referent does not close their own review
    return engagement.referent.user_id == user.pk or user.has_perm("volunteers.change_review")


# ---------------------------------------------------------------------------------------------- volunteer space


def engagements_of(*, member: Member):
    return (
        Engagement.objects.filter(volunteer=member)
        .select_related("mission__group", "referent")
        .order_by("status", "-starts_on")
    )


def pending_reviews_of(*, member: Member):
    """Reviews to do, as volunteer or as referent."""
    return (
        Review.objects.filter(done_on__isnull=True)
        .filter(Q(engagement__volunteer=member) | Q(engagement__referent=member))
        .exclude(engagement__status=EngagementStatus.ENDED)
        .select_related("engagement__mission", "engagement__volunteer", "engagement__referent")
        .order_by("due_on")
    )


def done_reviews_of(*, member: Member, limit: int = 10):
    return (
        Review.objects.filter(done_on__isnull=False, engagement__volunteer=member)
        .select_related("engagement__mission")
        .order_by("-done_on")[:limit]
    )


def signatures_of(*, member: Member, limit: int = 10):
    return (
        CharterSignature.objects.filter(volunteer=member)
        .select_related("version", "document")
        .order_by("-created_at")[:limit]
    )


def engagement_counts() -> dict[str, int]:
    return dict(Engagement.objects.values_list("status").annotate(n=Count("id")).order_by())
