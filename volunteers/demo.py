"""Données de démonstration du bénévolat : missions, engagements dans tous les états, chartes V7 et V8.

Déterministe et idempotent (rien n'est recréé si la V8 existe). Rapide : la plupart des chartes sont
« signées sur papier » (avant le portail) ; quelques-unes passent par la vraie cérémonie et sont
scellées (PDF), d'autres attendent la contresignature. Le compte benevole@ attend de signer (parcours 4).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from members.models import Group, GroupMembership, Member, User
from soce.lib.models import EmailStatus, OutgoingEmail

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
    ReviewOutlook,
    StructureKind,
    VersionKind,
)

V7_PUBLISHED = date(2015, 3, 14)
V8_PUBLISHED = date(2019, 9, 19)

_PURPOSE = """<h2>1. L'association et son objet</h2>
<p>La Société des ingénieurs Arts et Métiers rassemble les Gadzarts, les élèves de l'École et celles et ceux
qui partagent leurs valeurs. Elle entretient entre eux des liens de fraternité, développe l'entraide et la
solidarité, et promeut le métier d'ingénieur, l'École et la technique.</p>
<p>Pour y parvenir, elle s'oblige à la transparence envers ses membres, ses bénévoles, ses salariés, ses
donateurs et les bénéficiaires de ses actions ; elle applique des règles démocratiques de fonctionnement et
évalue l'utilité sociale de ce qu'elle entreprend.</p>"""

_DUTIES_V7 = """<h2>2. Les engagements du bénévole</h2>
<ul>
<li>être à jour de sa cotisation ;</li>
<li>travailler avec les responsables, les permanents et les autres bénévoles, sans lien hiérarchique ;</li>
<li>adhérer à l'objet et à l'éthique de l'association ;</li>
<li>poursuivre les objectifs de sa mission et respecter l'organisation et le règlement intérieur ;</li>
<li>respecter la confidentialité des informations qui lui sont confiées.</li>
</ul>
<p>Le bénévolat est librement choisi : il n'existe aucun lien de subordination. Le bénévole peut arrêter
à tout moment, en prévenant dans un délai raisonnable.</p>"""

_DUTIES_V8 = """<h2>2. Les engagements du bénévole</h2>
<ul>
<li>être à jour de sa cotisation, premier signe de son appartenance ;</li>
<li>travailler avec les responsables, les permanents et les autres bénévoles, sans lien hiérarchique ;</li>
<li>partager l'objet, l'éthique de l'association et l'esprit gadzarts ;</li>
<li>poursuivre les objectifs de sa mission, respecter l'organisation et le règlement intérieur ;</li>
<li>rencontrer régulièrement son <strong>référent</strong> et rédiger avec lui un <strong>bilan</strong>
périodique de sa mission ;</li>
<li>respecter la confidentialité des informations qui lui sont confiées et les convictions de chacun ;</li>
<li>préparer sa succession en cherchant un <strong>successeur</strong>.</li>
</ul>
<p>Le bénévolat est librement choisi : il n'existe aucun lien de subordination. Le bénévole peut arrêter
à tout moment, en prévenant dans un délai raisonnable.</p>"""

_COMMITMENTS = """<h2>3. Les engagements de l'association</h2>
<ul>
<li>informer le bénévole de sa stratégie, de ses objectifs de l'année et de qui fait quoi ;</li>
<li>faciliter ses rencontres avec les responsables, les permanents, les autres bénévoles et les
bénéficiaires ;</li>
<li>le considérer comme un collaborateur à part entière ;</li>
<li>décrire sa mission dans une <em>fiche de poste</em> adaptée à ses compétences ;</li>
<li>lui remettre les documents de référence : statuts, règlement intérieur, vademecum, fiche de mission ;</li>
<li>rembourser les frais engagés avec son accord préalable ;</li>
<li>l'assurer contre les accidents pendant son activité bénévole.</li>
</ul>
<p>L'association peut mettre fin à la collaboration avec un préavis raisonnable, par une décision motivée
validée par le Bureau.</p>"""

_SIGNATURE = """<h2>4. Signatures</h2>
<p>Le bénévole s'engage à respecter la présente charte et les documents de référence ; un représentant de
la Soce prend acte de cet engagement. La charte est faite en deux exemplaires.</p>"""

V7_TEXT = _PURPOSE + _DUTIES_V7 + _COMMITMENTS + _SIGNATURE
V8_TEXT = _PURPOSE + _DUTIES_V8 + _COMMITMENTS + _SIGNATURE

NATIONAL_MISSIONS = [
    ("Bénévole de l'entraide : instruction des dossiers", "Entraide", "Écoute, discrétion, rigueur", "4 h par mois"),
    ("Rapporteur auprès du comité d'entraide", "Entraide", "Analyse financière, bienveillance", "1 séance par mois"),
    (
        "Ambassadeur Destination Ingénieur-e",
        "Destination Ingénieur-e",
        "Pédagogie, goût des jeunes",
        "3 demi-journées par an",
    ),
    ("Mentor Jeunes Promotions", "Jeunes Promotions", "Expérience professionnelle, écoute", "1 h par mois"),
    ("Animateur des ateliers carrière", "Carrières", "Recrutement, coaching", "2 ateliers par trimestre"),
    ("Correspondant communication", "Communication", "Rédaction, réseaux sociaux", "2 h par semaine"),
]
GROUP_MISSIONS = [
    ("Président du groupe", "Animation d'équipe, représentation", "4 h par semaine", 12),
    ("Trésorier du groupe", "Comptabilité associative", "2 h par mois", 12),
    ("Délégué PMI", "Relations avec les écoles et les entreprises", "2 h par mois", 6),
    ("Organisateur des conférences", "Réseau, organisation d'événements", "1 soirée par mois", 12),
]

DEMO_CLIENT_UA = "Données de démonstration (seed_demo)"


def seed(*, rng: random.Random, stdout, options: dict) -> None:
    """Creates V7 and V8, missions, engagements in every state, paper and online charters, a few sealed PDFs."""
    from soce.lib.signing import pki

    pki.ensure_dev_pki()
    if CharterVersion.objects.filter(label="V8").exists():
        stdout.write(f"  bénévolat : déjà présent ({Engagement.objects.count()} engagements)")
        return
    people = list(
        Member.objects.filter(status=Member.Lifecycle.ACTIVE, category__code="gadzarts", user__isnull=True)
        .select_related("campus")
        .order_by("pk")
    )
    if len(people) < 40:
        stdout.write("  bénévolat : trop peu de membres pour la démonstration (lancez d'abord le semeur des membres)")
        return
    large = options.get("scale") == "large"
    with transaction.atomic():
        v7, v8 = _versions()
        missions = _missions(rng, people)
        mandates = _mandates(people)
        engagements = _engagements(rng, people, missions, count=3000 if large else 160)
        _paper_signatures(rng, engagements, v7, v8)
    online = _online_ceremonies(rng, v8, mandates)
    from . import services

    services.reviews_reminders_ensure()
    stdout.write(
        f"  bénévolat : {len(missions)} missions, {Engagement.objects.count()} engagements, "
        f"{CharterSignature.objects.count()} chartes signées (dont {online} en ligne), versions V7 et V8"
    )


def _versions() -> tuple[CharterVersion, CharterVersion]:
    from . import services

    v7 = CharterVersion.objects.create(label="V7", body_html=V7_TEXT, kind=VersionKind.MAJOR, resign_within_days=90)
    services.charter_version_publish(version=v7, by=None, today=V7_PUBLISHED)
    v8 = CharterVersion.objects.create(label="V8", body_html=V8_TEXT, kind=VersionKind.MAJOR, resign_within_days=60)
    services.charter_version_publish(version=v8, by=None, today=V8_PUBLISHED)
    tz = timezone.get_current_timezone()
    for version, day in ((v7, V7_PUBLISHED), (v8, V8_PUBLISHED)):
        CharterVersion.objects.filter(pk=version.pk).update(published_at=datetime.combine(day, time(10), tzinfo=tz))
    ResigningCampaign.objects.filter(version=v8).update(suspensions_done_on=V8_PUBLISHED + timedelta(days=61))
    # A draft V9 (minor) shows the diff and the publication action in the admin.
    CharterVersion.objects.create(
        label="V9",
        body_html=V8_TEXT.replace("respecter la confidentialité", "respecter strictement la confidentialité"),
        kind=VersionKind.MINOR,
    )
    return v7, v8


def _missions(rng: random.Random, people: list[Member]) -> list[Mission]:
    missions = []
    for title, service, skills, time_needed in NATIONAL_MISSIONS:
        missions.append(
            Mission(
                title=title,
                description=f"Mission du service « {service} » : {title.lower()}. Fiche de poste détaillée remise au "
                "bénévole avec le vademecum.",
                structure_kind=StructureKind.NATIONAL,
                national_service=service,
                skills=skills,
                expected_time=time_needed,
                referent=rng.choice(people),
                review_every_months=12,
                successor_sought=rng.random() < 0.3,
            )
        )
    groups = list(Group.objects.filter(kind__in=["gt", "gp", "campus"]).order_by("kind", "name"))
    for group in groups:
        kind = {"gt": StructureKind.TERRITORIAL, "gp": StructureKind.PROFESSIONAL, "campus": StructureKind.CAMPUS}[
            group.kind
        ]
        for title, skills, time_needed, cadence in GROUP_MISSIONS[: 2 if group.kind != "gt" else 4]:
            missions.append(
                Mission(
                    title=title,
                    description=f"{title} — {group.name}. Anime la vie du groupe avec le bureau local.",
                    structure_kind=kind,
                    group=group,
                    skills=skills,
                    expected_time=time_needed,
                    referent=rng.choice(people),
                    review_every_months=cadence,
                    successor_sought=rng.random() < 0.2,
                )
            )
    Mission.objects.bulk_create(missions)
    return list(Mission.objects.select_related("group").order_by("pk"))


def _mandates(people: list[Member]) -> list[CountersigningMandate]:
    bureau = Member.objects.filter(user__email__startswith="bureau@").first()
    staff = Member.objects.filter(user__email__startswith="benevolat@").first()
    mandates = []
    if bureau:
        mandates.append(
            CountersigningMandate(member=bureau, capacity="Vice-président de la Soce, délégué au bénévolat")
        )
    if staff:
        mandates.append(
            CountersigningMandate(member=staff, capacity="Responsable du bénévolat, par délégation du Bureau")
        )
    presidents = GroupMembership.objects.filter(role="president", group__kind="gt").select_related("group", "member")
    for gm in presidents[:10]:
        mandates.append(
            CountersigningMandate(member=gm.member, capacity=f"Président du {gm.group.name}", group=gm.group)
        )
    CountersigningMandate.objects.bulk_create(mandates)
    return list(CountersigningMandate.objects.select_related("member__user").order_by("pk"))


STATE_MIX = [
    (EngagementStatus.PROPOSED, 0.05),
    (EngagementStatus.AWAITING_SIGNATURE, 0.08),
    (EngagementStatus.ACTIVE, 0.58),
    (EngagementStatus.REVIEW_DUE, 0.08),
    (EngagementStatus.SUSPENDED, 0.09),
    (EngagementStatus.ENDING, 0.04),
    (EngagementStatus.ENDED, 0.08),
]


def _pick_state(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for state, share in STATE_MIX:
        total += share
        if roll < total:
            return state
    return EngagementStatus.ACTIVE


def _engagements(rng: random.Random, people, missions, *, count: int) -> list[Engagement]:
    today = timezone.localdate()
    volunteers = rng.sample(people, min(count, len(people) - 10))
    rows = []
    for index, member in enumerate(volunteers):
        state = _pick_state(rng) if index >= len(STATE_MIX) else STATE_MIX[index][0]
        mission = rng.choice(missions)
        starts = today - timedelta(days=rng.randint(30, 2500))
        row = Engagement(
            volunteer=member,
            mission=mission,
            referent=mission.referent if mission.referent_id != member.pk else rng.choice(people),
            starts_on=starts,
            status=state,
        )
        if state == EngagementStatus.SUSPENDED:
            row.suspended_for_dues = rng.random() < 0.5
            row.suspended_for_charter = not row.suspended_for_dues
        if state == EngagementStatus.ENDING:
            row.end_kind = EndKind.NOTICE
            row.notice_given_on = today - timedelta(days=rng.randint(1, 40))
            # Most notices come through the portal; some by phone or letter, recorded by the team.
            row.notice_channel = (NoticeChannel.PORTAL, NoticeChannel.PHONE, NoticeChannel.LETTER)[index % 3]
            row.end_note = "Nouvelles responsabilités professionnelles."
        if state == EngagementStatus.ENDED:
            row.end_kind = EndKind.NOTICE
            row.end_reason = rng.choice(EndReason.values)
            row.ended_on = today - timedelta(days=rng.randint(10, 400))
            row.starts_on = min(starts, row.ended_on - timedelta(days=200))
            if row.end_reason == EndReason.TERM:
                row.end_kind, row.ends_on = EndKind.TERM, row.ended_on
            elif row.end_reason == EndReason.REVOKED:
                row.end_kind = EndKind.DECISION
                row.bureau_validated_on = row.notice_given_on = row.ended_on - timedelta(days=30)
                row.end_note = "Manquements répétés à la charte, après entretien avec le référent."
            else:
                row.notice_given_on = row.ended_on - timedelta(days=30)
                row.notice_channel = NoticeChannel.PORTAL
            row.successor_none_found = rng.random() < 0.4
            if not row.successor_none_found:
                row.successor = rng.choice(people)
        rows.append(row)
    benevole = Member.objects.filter(user__email__startswith="benevole@").first()
    paris = next((m for m in missions if m.group and "Paris" in m.group.name and "PMI" in m.title), missions[0])
    if benevole is not None:
        rows.append(
            Engagement(
                volunteer=benevole,
                mission=paris,
                referent=paris.referent,
                starts_on=today,
                status=EngagementStatus.AWAITING_SIGNATURE,
            )
        )
    Engagement.objects.bulk_create(rows, batch_size=1000)
    engagements = list(Engagement.objects.select_related("mission", "volunteer", "referent").order_by("pk"))
    _reviews(rng, engagements, today)
    _end_proposal(engagements)
    return engagements


def _end_proposal(engagements: list[Engagement]) -> None:
    """One reasoned end proposed by the Bénévolat team, waiting for a member of the Bureau to validate it."""
    team = User.objects.filter(email__startswith="benevolat@").first()
    active = next((e for e in engagements if e.status == EngagementStatus.ACTIVE), None)
    if team is None or active is None:
        return
    EndProposal.objects.create(
        engagement=active,
        note="Absent des quatre dernières réunions et injoignable depuis six mois malgré les relances du référent.",
        proposed_by=team,
    )


def _reviews(rng: random.Random, engagements: list[Engagement], today: date) -> None:
    """Last year's review, prepared by the volunteer and validated by the referent; the next one pending.

    Half of the overdue reviews are already prepared by their volunteer and wait for the referent.
    """
    tz = timezone.get_current_timezone()
    reviews = []
    for index, e in enumerate(engagements):
        if e.status in (EngagementStatus.PROPOSED, EngagementStatus.AWAITING_SIGNATURE, EngagementStatus.ENDED):
            continue
        last = today - timedelta(days=rng.randint(30, 330))
        reviews.append(
            Review(
                engagement=e,
                due_on=last,
                done_on=last,
                achievements="Objectifs de l'année tenus ; deux nouveaux bénévoles recrutés.",
                difficulties="Disponibilité en période de clôture.",
                needs="Formation à l'animation de réunions.",
                outlook=rng.choice(ReviewOutlook.values),
                next_due_on=today + timedelta(days=rng.randint(10, 300)),
                prepared_by_id=e.volunteer.user_id,
                prepared_at=datetime.combine(last - timedelta(days=3), time(20), tzinfo=tz),
                completed_by_id=e.referent.user_id,
            )
        )
        if e.status == EngagementStatus.REVIEW_DUE:
            due = today - timedelta(days=rng.randint(1, 60))
        else:
            due = today + timedelta(days=rng.randint(5, 300))
        pending = Review(engagement=e, due_on=due)
        if e.status == EngagementStatus.REVIEW_DUE and index % 2:
            pending.achievements = "Trois rencontres école-entreprise organisées ; un forum des métiers."
            pending.needs = "Un binôme pour l'an prochain."
            pending.outlook = ReviewOutlook.CONTINUE
            pending.prepared_by_id = e.volunteer.user_id
            pending.prepared_at = datetime.combine(today - timedelta(days=2), time(19), tzinfo=tz)
        reviews.append(pending)
    Review.objects.bulk_create(reviews, batch_size=2000)


def _paper_signatures(rng: random.Random, engagements: list[Engagement], v7, v8) -> None:
    """Charters signed on paper before the portal: V8 for most, V7 only for those suspended for it."""
    tz = timezone.get_current_timezone()
    rows, seen = [], set()
    for e in engagements:
        if e.volunteer_id in seen or e.status in (EngagementStatus.PROPOSED, EngagementStatus.AWAITING_SIGNATURE):
            continue
        seen.add(e.volunteer_id)
        on_v7 = e.suspended_for_charter or (e.status == EngagementStatus.ENDED and rng.random() < 0.5)
        day = (V7_PUBLISHED if on_v7 else V8_PUBLISHED) + timedelta(days=rng.randint(1, 50))
        signed = datetime.combine(day, time(18, 30), tzinfo=tz)
        rows.append(
            CharterSignature(
                volunteer=e.volunteer,
                version=v7 if on_v7 else v8,
                engagement=e,
                mission_group=e.mission.group,
                on_paper=True,
                volunteer_signed_at=signed,
                countersigned_at=signed + timedelta(days=rng.randint(2, 20)),
                created_at=signed,
            )
        )
    CharterSignature.objects.bulk_create(rows, batch_size=1000)


def _online_ceremonies(rng: random.Random, v8: CharterVersion, mandates: list[CountersigningMandate]) -> int:
    """A few charters through the real ceremony: sealed PDFs, some awaiting countersignature, one declined.

    The e-mails they queue (codes, sealed copies) are cancelled: demo data sends nothing. The codes are
    read back from an in-memory mailbox, the only place they live once sent.
    """
    from django.core import mail
    from django.test.utils import override_settings

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        previous = getattr(mail, "outbox", None)  # the test environment's mailbox, if any: put it back after
        mail.outbox = []
        try:
            return _run_ceremonies(rng, v8, mandates)
        finally:
            if previous is None:
                del mail.outbox
            else:
                mail.outbox = previous


def _run_ceremonies(rng: random.Random, v8: CharterVersion, mandates: list[CountersigningMandate]) -> int:
    from members.demo import DEMO_PASSWORD
    from soce.lib.signing import services as signing
    from soce.lib.signing.client import ClientInfo
    from soce.lib.signing.testing import drawn_signature, last_otp_code

    from . import services

    national = [m for m in mandates if m.group_id is None and m.member.user_id]
    if not national:
        return 0
    representative = national[0]
    last_email = OutgoingEmail.objects.aggregate(m=Max("id"))["m"] or 0
    today = timezone.localdate()
    people = (
        Member.objects.filter(
            status=Member.Lifecycle.ACTIVE,
            category__code="gadzarts",
            user__isnull=True,
            paid_through_year__gte=today.year,
        )
        .exclude(engagements__isnull=False)
        .order_by("pk")[:9]
    )
    missions = list(Mission.objects.filter(structure_kind=StructureKind.NATIONAL).order_by("pk"))
    candidates = []
    for member in people:
        engagement = services.engagement_propose(
            volunteer=member, mission=rng.choice(missions), starts_on=today, by=None
        )
        services.engagement_accept(engagement=engagement, by=None)
        candidates.append(engagement)
    done = 0
    with transaction.atomic():
        for index, engagement in enumerate(candidates):
            member = engagement.volunteer
            user = User.objects.create_user(
                member.email, DEMO_PASSWORD, first_name=member.first_name, last_name=member.last_name
            )
            Member.objects.filter(pk=member.pk).update(user=user)
            member.user = user
            client = ClientInfo(ip=f"192.0.2.{10 + index}", user_agent=DEMO_CLIENT_UA, auth=[{"method": "password"}])
            signature = services.charter_signature_start(member=member, user=user, client=client)
            party = signature.document.parties.get(role="signer")
            if index == 8:
                signing.party_decline(
                    party=party, user=user, reason="Je préfère relire la charte avec mon GT.", client=client
                )
                done += 1
                continue
            services.charter_signer_confirm(signature=signature, user=user, client=client)
            signing.otp_verify(party=party, user=user, code=last_otp_code(to=member.contact_email), client=client)
            if index % 2:
                signing.party_sign(
                    party=party, user=user, typed_name=member.full_name, place=member.city, client=client
                )
            else:
                signing.party_sign(
                    party=party, user=user, signature_data_url=drawn_signature(), place=member.city, client=client
                )
            done += 1
            if index >= 5:
                continue  # left in the countersignature queue
            rep_user = representative.member.user
            rep_client = ClientInfo(
                ip="192.0.2.200", user_agent=DEMO_CLIENT_UA, auth=[{"method": "password"}, {"method": "mfa"}]
            )
            services.countersign_confirm(signature=signature, user=rep_user, mandate=representative, client=rep_client)
            counter = signature.document.parties.get(role="countersigner")
            signing.otp_verify(
                party=counter,
                user=rep_user,
                code=last_otp_code(to=representative.member.contact_email),
                client=rep_client,
            )
            signing.party_sign(
                party=counter,
                user=rep_user,
                typed_name=representative.member.full_name,
                place="Paris",
                client=rep_client,
            )
            signing.document_seal(document_id=signature.document_id)
        OutgoingEmail.objects.filter(id__gt=last_email, template__startswith="signing/").update(
            status=EmailStatus.CANCELLED, last_error="Données de démonstration : non envoyé."
        )
    return done
