"""Données de démonstration de l'entraide : quatre ans de dossiers dans tous les états, séances mensuelles,
secours, prêts d'honneur (différés, en remboursement, en retard, remboursés, remis, en perte), cautions.

Déterministe (graine fournie) et idempotent (rien n'est recréé si des dossiers existent). Rapide : les
dossiers passés sont écrits directement en base, dans un état cohérent ; la tâche de nuit calcule
ensuite les retards et ouvre les suivis. Comptes : entraide@ instruit et préside le comité ;
comite1@ à comite4@ y siègent (comite1 est président national, comite2 trésorier, pour les aides
d'urgence) ; eleve@ est un élève sans dossier, pour le parcours 5.
"""

from __future__ import annotations

import hashlib
import random
import time as time_module
import uuid
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

from django.contrib.auth.models import Group as AuthGroup
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Mod
from django.utils import timezone
from django.utils.html import escape

from members.models import Campus, Category, Group, GroupMembership, Member, User
from soce.lib import roles
from soce.lib.money import eur
from soce.lib.signing.services import sanitise_html

from . import ledger, services
from .models import (
    AidCase,
    AidKind,
    Beneficiary,
    BeneficiaryKind,
    CaseStatus,
    CommitteeSeat,
    CommitteeSession,
    Decision,
    Disbursement,
    DisbursementStatus,
    Envelope,
    FollowUp,
    FollowUpStatus,
    Grant,
    Guarantee,
    GuaranteeStatement,
    GuaranteeStatus,
    Instalment,
    Loan,
    LoanContract,
    LoanMeasure,
    LoanOrigin,
    LoanStatus,
    MeasureKind,
    MeasureStatus,
    Opinion,
    OpinionRole,
    OpinionStatus,
    Outcome,
    PaymentStatus,
    Purpose,
    Recusal,
    Repayment,
    SeatRole,
    SessionMember,
    SessionStatus,
    UrgentAid,
    UrgentStatus,
)
from .words import amount_in_words

DOMAIN = "demo.soce.fr"
IBANS = ["FR7630006000011234567890189", "FR1420041010050500013M02606", "FR7630004000031234567890143"]
SITUATIONS = {
    Purpose.MOBILITY: "Semestre obligatoire à l'étranger ; la bourse ne couvre ni le logement ni le billet d'avion.",
    Purpose.STUDIES: "Frais de scolarité et matériel de la dernière année ; les parents ne peuvent plus aider.",
    Purpose.HARDSHIP: "Loyer en retard depuis deux mois après une séparation ; deux enfants à charge.",
    Purpose.HEALTH: "Soins non remboursés après un accident ; arrêt de travail prolongé.",
    Purpose.JOB_LOSS: "Licenciement économique ; indemnités chômage en attente, échéances qui tombent.",
    Purpose.BEREAVEMENT: "Décès du conjoint, camarade de la promotion ; frais d'obsèques et démarches.",
    Purpose.OTHER: "Situation exceptionnelle signalée par le délégué de promotion.",
}
COMMITTEE = [
    ("comite1", "Jacques", "Bertrand", "Cl", 1968, "president"),
    ("comite2", "Isabelle", "Faure", "An", 1981, "treasurer"),
    ("comite3", "Hervé", "Lacroix", "Ch", 1974, None),
    ("comite4", "Claire", "Perrin", "Li", 1990, None),
]


def _aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def seed(*, rng: random.Random, stdout, options: dict) -> None:
    """Several years of entraide activity (see the module docstring)."""
    if AidCase.objects.exists():
        stdout.write("  entraide : dossiers déjà présents")
        return
    people = _people()
    if people is None:
        stdout.write("  entraide : comptes de démonstration absents, rien à semer")
        return
    large = options.get("scale") == "large"
    with transaction.atomic():
        # At the large scale the small world draws from one member in LARGE_SAMPLE (100,000 full rows
        # would cost half a gigabyte); the bulk below draws from everyone.
        world = _World(rng, people, sample=LARGE_SAMPLE if large else None)
        world.history()
        world.special_endings()
        world.pipeline()
    services.loans_nightly()
    try:
        services.reminders_ensure()
    except Exception as exc:  # the reminders engine is optional for the demo
        stdout.write(f"  entraide : relances non créées ({exc.__class__.__name__})")
    if large:
        started = time_module.monotonic()
        added = _Bulk(random.Random(f"{options.get('seed', 2030)}:entraide:large"), people).run()
        stdout.write(
            f"  entraide : volume large, {added} dossiers ajoutés par lots en {time_module.monotonic() - started:.1f} s"
        )
    stdout.write(
        f"  entraide : {AidCase.objects.count()} dossiers, {CommitteeSession.objects.count()} séances, "
        f"{Loan.objects.count()} prêts ({Loan.objects.filter(days_past_due__gt=0).count()} en retard), "
        f"{Guarantee.objects.count()} cautions"
    )
    stdout.write(
        f"  entraide : comité entraide@ (président), comite1@ à comite4@{DOMAIN} ; élève sans dossier : eleve@{DOMAIN}"
    )


def _people() -> dict | None:
    from members.demo import DEMO_PASSWORD, promo_group

    chair = User.objects.filter(email=f"entraide@{DOMAIN}").first()
    if chair is None or not hasattr(chair, "member"):
        return None
    group = AuthGroup.objects.get(name=roles.ENTRAIDE)
    national = Group.objects.filter(kind=Group.Kind.NATIONAL).first()
    committee = [chair]
    for local, first, last, campus, entry, office in COMMITTEE:
        email = f"{local}@{DOMAIN}"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, DEMO_PASSWORD, first_name=first, last_name=last
        )
        _verified(user)
        user.groups.add(group)
        member = Member.objects.filter(user=user).first() or Member.objects.create(
            user=user,
            first_name=first,
            last_name=last,
            email=email,
            campus=Campus.objects.get(code=campus),
            entry_year=entry,
            graduation_year=entry + 3,
            category=Category.objects.get(code="gadzarts"),
        )
        if office and national:
            GroupMembership.objects.get_or_create(member=member, group=national, role=office)
        committee.append(user)
    CommitteeSeat.objects.get_or_create(user=chair, defaults={"role": SeatRole.CHAIR, "starts_on": date(2020, 1, 1)})
    for user in committee[1:]:
        CommitteeSeat.objects.get_or_create(
            user=user, defaults={"role": SeatRole.MEMBER, "starts_on": date(2020, 1, 1)}
        )
    # The student of journey 5: no request yet; promo delegate, DSC and director exist for Bordeaux.
    today = timezone.localdate()
    bo = Campus.objects.get(code="Bo")
    student_user = User.objects.filter(email=f"eleve@{DOMAIN}").first() or User.objects.create_user(
        f"eleve@{DOMAIN}", DEMO_PASSWORD, first_name="Lucas", last_name="Moreau"
    )
    _verified(student_user)
    student = Member.objects.filter(user=student_user).first() or Member.objects.create(
        user=student_user,
        first_name="Lucas",
        last_name="Moreau",
        email=f"eleve@{DOMAIN}",
        campus=bo,
        entry_year=today.year - 1,
        category=Category.objects.get(code="eleve"),
    )
    promo = promo_group(bo, student.entry_year)
    GroupMembership.objects.get_or_create(member=student, group=promo)
    if not GroupMembership.objects.filter(group=promo, role=GroupMembership.Role.PROMO_DELEGATE).exists():
        other = Member.objects.filter(campus=bo, entry_year=student.entry_year).exclude(pk=student.pk).first()
        if other is not None:
            GroupMembership.objects.create(member=other, group=promo, role=GroupMembership.Role.PROMO_DELEGATE)
    return {"chair": chair, "committee": committee, "student": student}


def _verified(user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


class _World:
    def __init__(self, rng: random.Random, people: dict, sample: int | None = None):
        self.rng = rng
        self.today = timezone.localdate()
        self.chair = people["chair"]
        self.committee = people["committee"]
        self.instructors = self.committee[:3]
        self.validators = self.committee[3:]
        self.params = services.settings_get()
        self.by_entry: dict[int, list[Member]] = {}
        members = (
            Member.objects.filter(email__endswith=f"@{DOMAIN}", campus__isnull=False, entry_year__isnull=False)
            .exclude(user__isnull=False)
            .select_related("campus", "category")
        )
        self.ordered = bool(sample)  # large scale: same draws whatever the rows' physical order
        if sample:
            members = members.annotate(sample=Mod("pk", sample)).filter(sample=0).order_by("pk")
        for member in members:
            self.by_entry.setdefault(member.entry_year, []).append(member)
        self.graduates = [m for year, ms in self.by_entry.items() if year < self.today.year - 8 for m in ms]
        self.used_students: set[int] = set()
        for year in range(self.today.year - 4, self.today.year + 1):
            Envelope.objects.get_or_create(year=year, defaults={"amount_eur": Decimal("300000.00")})

    # --- helpers ---------------------------------------------------------------------------------

    def student_for(self, year: int) -> Member | None:
        for entry in self.rng.sample([year - 1, year - 2, year], 3):
            pool = [m for m in self.by_entry.get(entry, []) if m.pk not in self.used_students]
            if pool:
                member = self.rng.choice(pool)
                self.used_students.add(member.pk)
                return member
        return None

    def beneficiary(self, kind: str, member: Member) -> Beneficiary:
        if kind == BeneficiaryKind.FAMILY:
            return Beneficiary.objects.create(
                kind=kind,
                member=member,
                relation=Beneficiary.Relation.SPOUSE,
                first_name=self.rng.choice(["Monique", "Françoise", "Anne", "Marie-Claire", "Odile"]),
                last_name=member.last_name,
            )
        return Beneficiary.objects.get_or_create(kind=kind, member=member)[0]

    def case(self, *, kind: str, purpose: str, amount: Decimal, beneficiary: Beneficiary, created: date, **fields):
        member = beneficiary.member
        return AidCase.objects.create(
            beneficiary=beneficiary,
            filed_by=member.user if member and member.user_id else None,
            kind_requested=kind,
            purpose=purpose,
            amount_requested_eur=amount,
            situation=SITUATIONS[purpose],
            beneficiary_kind=beneficiary.kind,
            campus_code=member.campus.code if member and member.campus_id else "",
            promo_decade=member.entry_year // 10 * 10 if member and member.entry_year else None,
            created_at=_aware(created),
            submitted_at=_aware(created, 11) if fields.get("status", CaseStatus.DRAFT) != CaseStatus.DRAFT else None,
            status_changed_at=_aware(created, 12),
            **fields,
        )

    def opinions(self, case: AidCase, given_on: date | None) -> None:
        holders = services.opinion_holders(case.beneficiary.member)
        for role, holder in holders.items():
            waived = bool(given_on and holder is None)  # nobody holds the role: the chair went without it
            Opinion.objects.create(
                case=case,
                role=role,
                requested_from=holder,
                requested_at=case.created_at,
                due_on=case.created_at.date() + timedelta(days=15),
                status=OpinionStatus.WAIVED if waived else OpinionStatus.GIVEN if given_on else OpinionStatus.REQUESTED,
                waived_by=self.chair if waived else None,
                waive_reason="Aucun titulaire du rôle cette année." if waived else "",
                verdict=self.rng.choice(["favourable", "favourable", "favourable", "reserved"])
                if given_on and holder
                else "",
                text="Élève sérieux et investi dans la vie de la promotion." if given_on and holder else "",
                given_at=_aware(given_on) if given_on and holder else None,
            )

    # --- history: monthly sessions and their decisions -----------------------------------------

    def special_endings(self) -> None:
        """One balance forgiven and one written off, on the oldest loans still being repaid."""
        late = Loan.objects.filter(status=LoanStatus.REPAYING, origin=LoanOrigin.HONOUR_LOAN).order_by(
            *(["first_due_on", "pk"] if self.ordered else ["first_due_on"])
        )
        for loan, status in zip(list(late[:2]), [LoanStatus.FORGIVEN, LoanStatus.WRITTEN_OFF], strict=False):
            repaid = sum(loan.repayments.values_list("amount_eur", flat=True), Decimal(0))
            self.ended(loan, repaid, status)

    def history(self) -> None:
        start = date(self.today.year - 4, 1, 1)
        month = start
        while month <= self.today:
            held_on = month.replace(day=12)
            if month.month != 8:  # no committee in August
                if held_on < self.today - timedelta(days=2):
                    self.past_session(held_on)
                else:
                    self.planned = self.new_session(held_on, SessionStatus.PLANNED)
            month = ledger.add_months(month, 1)
        if not hasattr(self, "planned"):
            self.planned = self.new_session(ledger.add_months(self.today.replace(day=12), 1), SessionStatus.PLANNED)

    def new_session(self, held_on: date, status: str) -> CommitteeSession:
        session = CommitteeSession.objects.create(
            held_on=held_on, status=status, status_changed_at=_aware(held_on, 20), created_by=self.chair
        )
        SessionMember.objects.bulk_create(
            [
                SessionMember(
                    session=session,
                    user=user,
                    role=SeatRole.CHAIR if user == self.chair else SeatRole.MEMBER,
                    present=status == SessionStatus.CLOSED and (user == self.chair or self.rng.random() < 0.85),
                )
                for user in self.committee
            ]
        )
        return session

    def past_session(self, held_on: date) -> None:
        session = self.new_session(held_on, SessionStatus.CLOSED)
        for _ in range(self.rng.randint(2, 4)):
            self.decided_case(session)

    def decided_case(self, session: CommitteeSession) -> None:
        rng = self.rng
        roll = rng.random()
        kind = (
            AidKind.LOAN
            if roll < 0.45
            else AidKind.GRANT
            if roll < 0.75
            else AidKind.SCHOLARSHIP
            if roll < 0.9
            else AidKind.GUARANTEE
        )
        student_kind = kind in {AidKind.LOAN, AidKind.GUARANTEE, AidKind.SCHOLARSHIP} and rng.random() < 0.85
        if student_kind:
            member = self.student_for(session.held_on.year)
            if member is None:
                return
            beneficiary = self.beneficiary(BeneficiaryKind.STUDENT, member)
            purpose = rng.choice([Purpose.MOBILITY, Purpose.MOBILITY, Purpose.STUDIES])
        else:
            member = rng.choice(self.graduates)
            family = kind == AidKind.GRANT and rng.random() < 0.25
            beneficiary = self.beneficiary(BeneficiaryKind.FAMILY if family else BeneficiaryKind.MEMBER, member)
            purpose = (
                Purpose.BEREAVEMENT if family else rng.choice([Purpose.HARDSHIP, Purpose.HEALTH, Purpose.JOB_LOSS])
            )
        amount = eur(rng.choice([500, 800, 1000, 1500, 2000, 2500, 3000, 4000]))
        if kind == AidKind.LOAN and student_kind:
            amount = min(amount, eur(3000))
        decided = _aware(session.held_on, 19)
        outcome = "approved" if rng.random() < 0.86 else ("rejected" if rng.random() < 0.7 else "withdrawn")
        created = session.held_on - timedelta(days=rng.randint(20, 60))
        instructor = rng.choice(self.instructors)
        granted = eur(amount * Decimal(rng.choice(["1", "1", "1", "0.8", "0.5"])))
        status = {"approved": CaseStatus.APPROVED, "rejected": CaseStatus.REJECTED}.get(outcome, CaseStatus.WITHDRAWN)
        case = self.case(
            kind=kind,
            purpose=purpose,
            amount=amount,
            beneficiary=beneficiary,
            created=created,
            status=status,
            instructor=instructor,
            rapporteur=rng.choice(self.committee) if rng.random() < 0.3 else None,
            session=session if outcome != "withdrawn" else None,
            decided_kind=kind if outcome == "approved" else "",
            amount_granted_eur=granted if outcome == "approved" else None,
            decided_at=decided if outcome != "withdrawn" else None,
            closed_at=decided if outcome != "approved" else None,
        )
        AidCase.objects.filter(pk=case.pk).update(status_changed_at=decided)
        if beneficiary.kind == BeneficiaryKind.STUDENT:
            self.opinions(case, given_on=created + timedelta(days=10))
        if outcome == "withdrawn":
            return
        Decision.objects.create(
            case=case,
            session=session,
            outcome=outcome,
            kind=kind if outcome == "approved" else "",
            amount_eur=granted if outcome == "approved" else None,
            reason=""
            if outcome == "approved"
            else "Ressources suffisantes au vu des pièces ; réorientation vers le CROUS.",
            recorded_by=self.chair,
            decided_at=decided,
        )
        if outcome != "approved":
            return
        if kind in {AidKind.GRANT, AidKind.SCHOLARSHIP}:
            self.grant(case, session.held_on, granted)
        elif kind == AidKind.LOAN:
            self.loan(case, session.held_on, granted)
        else:
            self.guarantee(case, session.held_on, granted)

    def grant(self, case: AidCase, held_on: date, amount: Decimal) -> None:
        recent = held_on > self.today - timedelta(days=100)
        paid_on = held_on + timedelta(days=10)
        proof = self.rng.random() < 0.2
        status = PaymentStatus.CLOSED
        if recent:  # the payments to validate and the proofs awaited of the demo
            cycle = [
                PaymentStatus.PREPARED,
                PaymentStatus.VALIDATED,
                PaymentStatus.AWAITING_PROOF,
                PaymentStatus.CLOSED,
            ]
            self.recent_grants = getattr(self, "recent_grants", -1) + 1
            status = cycle[self.recent_grants % len(cycle)]
        paid = status in {PaymentStatus.CLOSED, PaymentStatus.AWAITING_PROOF}
        Grant.objects.create(
            case=case,
            kind=case.decided_kind,
            amount_eur=amount,
            status=status,
            account_holder=case.beneficiary.display_name,
            iban=self.rng.choice(IBANS),
            proof_required=status == PaymentStatus.AWAITING_PROOF or proof,
            prepared_by=case.instructor,
            validated_by=None if status == PaymentStatus.PREPARED else self.rng.choice(self.validators),
            paid_on=paid_on if paid else None,
            payment_reference=f"VIR-ENT-{case.pk:05d}" if paid else "",
            created_at=_aware(held_on + timedelta(days=3)),
        )
        if status == PaymentStatus.CLOSED:
            AidCase.objects.filter(pk=case.pk).update(
                status=CaseStatus.CLOSED, closed_at=_aware(paid_on), status_changed_at=_aware(paid_on)
            )

    def loan(self, case: AidCase, held_on: date, amount: Decimal) -> None:
        rng = self.rng
        member = case.beneficiary.member
        for_student = case.beneficiary_kind == BeneficiaryKind.STUDENT
        count = rng.choice([12, 24, 30, 36])
        graduation_on = services.graduation_date_for(member) if for_student else None
        first_due = ledger.student_first_due_on(graduation_on) if graduation_on else ledger.add_months(held_on, 6)
        recent = held_on > self.today - timedelta(days=70)
        if recent:  # one contract to sign, then one tranche to validate, alternately
            self.recent_loans = getattr(self, "recent_loans", -1) + 1
        status = (LoanStatus.OFFERED, LoanStatus.SIGNED)[self.recent_loans % 2] if recent else None
        loan = Loan.objects.create(
            case=case,
            beneficiary=case.beneficiary,
            for_student=for_student,
            principal_eur=amount,
            status=status or LoanStatus.DEFERRED,
            instalments_count=count,
            deferral_months=0 if for_student else 6,
            graduation_on=graduation_on,
            first_due_on=first_due,
            created_at=_aware(held_on, 19),
        )
        lines = ledger.build_schedule(principal=amount, count=count, first_due_on=first_due)
        Instalment.objects.bulk_create(
            [Instalment(loan=loan, seq=ln.seq, due_on=ln.due_on, amount_eur=ln.amount_eur) for ln in lines]
        )
        if status == LoanStatus.OFFERED:
            return
        signed_at = _aware(held_on + timedelta(days=5), 21)
        # Contracts of the past were signed on paper: the wording is kept, no electronic document.
        text = sanitise_html(services.contract_html(loan))
        LoanContract.objects.create(
            loan=loan,
            text=text,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
            amount_words=amount_in_words(amount),
            amount_figures=f"{amount}".replace(".", ","),
            accepted_by=member.user if member.user_id else self.chair,
            accepted_at=signed_at,
            signed_at=signed_at,
            evidence_sha256=hashlib.sha256(f"papier-{loan.public_id}".encode()).hexdigest(),
        )
        paid_on = held_on + timedelta(days=12)
        Disbursement.objects.create(
            loan=loan,
            amount_eur=amount,
            status=DisbursementStatus.PREPARED if status == LoanStatus.SIGNED else DisbursementStatus.PAID,
            account_holder=case.beneficiary.display_name,
            iban=rng.choice(IBANS),
            prepared_by=case.instructor,
            validated_by=None if status == LoanStatus.SIGNED else rng.choice(self.validators),
            paid_on=None if status == LoanStatus.SIGNED else paid_on,
            payment_reference="" if status == LoanStatus.SIGNED else f"VIR-PH-{loan.pk:05d}",
            created_at=_aware(paid_on - timedelta(days=4)),
        )
        if status == LoanStatus.SIGNED:
            Loan.objects.filter(pk=loan.pk).update(status=LoanStatus.SIGNED)
            return
        self.repayments(loan, lines)

    def repayments(self, loan: Loan, lines: list) -> None:
        """Good payers pay every instalment; some stopped a few months ago (arrears); a few special ends."""
        rng = self.rng
        profile = rng.random()
        due = [ln for ln in lines if ln.due_on < self.today]
        if not due:
            return
        stop_after = len(due)
        if profile < 0.2:
            stop_after = max(0, len(due) - rng.choice([1, 2, 3, 5]))  # late: the nightly buckets them
        entries = []
        for ln in due[:stop_after]:
            received = ln.due_on + timedelta(days=rng.randint(0, 6))
            if received >= self.today:
                break
            entries.append(
                Repayment(
                    loan=loan,
                    amount_eur=ln.amount_eur,
                    received_on=received,
                    method=rng.choice(["transfer", "transfer", "direct_debit", "cheque"]),
                    reference=f"ECH-{loan.pk}-{ln.seq}",
                    recorded_by=self.validators[0],
                    recorded_at=_aware(received, 16),
                )
            )
        Repayment.objects.bulk_create(entries)
        repaid = sum((e.amount_eur for e in entries), Decimal(0))
        if repaid >= loan.principal_eur:
            last = entries[-1].received_on
            Loan.objects.filter(pk=loan.pk).update(status=LoanStatus.REPAID, status_changed_at=_aware(last))
            AidCase.objects.filter(pk=loan.case_id).update(
                status=CaseStatus.CLOSED, closed_at=_aware(last), status_changed_at=_aware(last)
            )
        else:
            Loan.objects.filter(pk=loan.pk).update(status=LoanStatus.REPAYING)

    def ended(self, loan: Loan, repaid: Decimal, status: str) -> None:
        balance = loan.principal_eur - repaid
        session = CommitteeSession.objects.filter(status=SessionStatus.CLOSED).order_by("-held_on").first()
        kind = "forgive" if status == LoanStatus.FORGIVEN else "write_off"
        LoanMeasure.objects.create(
            loan=loan,
            kind=kind,
            status="validated",
            session=session,
            decision_note="Situation examinée en séance : solde transformé en don."
            if kind == "forgive"
            else "Emprunteur injoignable après courrier : passage en perte.",
            amount_eur=balance,
            proposed_by=self.instructors[0],
            validated_by=self.validators[0],
            validated_at=_aware(session.held_on, 20),
        )
        Loan.objects.filter(pk=loan.pk).update(
            status=status,
            forgiven_eur=balance if kind == "forgive" else 0,
            written_off_eur=balance if kind == "write_off" else 0,
        )
        AidCase.objects.filter(pk=loan.case_id).update(status=CaseStatus.CLOSED, closed_at=_aware(session.held_on))

    def guarantee(self, case: AidCase, held_on: date, amount: Decimal) -> None:
        rng = self.rng
        starts = held_on + timedelta(days=20)
        ends = starts + timedelta(days=365 * 3)
        loan_amount = eur(amount * 2)
        status = GuaranteeStatus.RELEASED if ends < self.today else GuaranteeStatus.ACTIVE
        guarantee = Guarantee.objects.create(
            case=case,
            bank=rng.choice(["Banque Populaire", "Crédit Agricole", "Société Générale", "BNP Paribas", "LCL"]),
            loan_reference=f"PE-{held_on.year}-{case.pk:05d}",
            loan_amount_eur=loan_amount,
            share_percent=Decimal("50.00"),
            ceiling_eur=amount,
            starts_on=starts,
            ends_on=ends,
            status=status,
            released_on=ends if status == GuaranteeStatus.RELEASED else None,
            created_by=case.instructor,
        )
        if status == GuaranteeStatus.RELEASED:
            AidCase.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=_aware(ends))
        elif not Guarantee.objects.filter(status=GuaranteeStatus.PAID).exists() and starts < self.today - timedelta(
            days=400
        ):
            self.called(guarantee)

    def called(self, guarantee: Guarantee) -> None:
        called_on = guarantee.starts_on + timedelta(days=380)
        called = eur(guarantee.guaranteed_eur / 2)
        first_due = called_on + timedelta(days=60)
        receivable = Loan.objects.create(
            case=guarantee.case,
            beneficiary=guarantee.case.beneficiary,
            origin=LoanOrigin.GUARANTEE_CALL,
            for_student=True,
            principal_eur=called,
            status=LoanStatus.DEFERRED,
            instalments_count=24,
            first_due_on=first_due,
            created_at=_aware(called_on + timedelta(days=20)),
        )
        lines = ledger.build_schedule(principal=called, count=24, first_due_on=first_due)
        Instalment.objects.bulk_create(
            [Instalment(loan=receivable, seq=ln.seq, due_on=ln.due_on, amount_eur=ln.amount_eur) for ln in lines]
        )
        Guarantee.objects.filter(pk=guarantee.pk).update(
            status=GuaranteeStatus.PAID,
            called_on=called_on,
            called_eur=called,
            called_by=self.instructors[0],
            paid_on=called_on + timedelta(days=20),
            paid_reference=f"CAUT-{guarantee.pk:04d}",
            paid_by=self.validators[0],
            receivable=receivable,
        )
        self.repayments(receivable, lines)

    # --- the current pipeline -----------------------------------------------------------------

    def pipeline(self) -> None:
        rng, today = self.rng, self.today
        chair = self.chair

        def fresh(kind, status, days_ago, *, student=True, **fields):
            member = self.student_for(today.year) if student else rng.choice(self.graduates)
            if member is None:
                return None
            beneficiary = self.beneficiary(BeneficiaryKind.STUDENT if student else BeneficiaryKind.MEMBER, member)
            purpose = Purpose.MOBILITY if student else rng.choice([Purpose.HARDSHIP, Purpose.JOB_LOSS, Purpose.HEALTH])
            amount = eur(rng.choice([1500, 2000, 2500, 3000]))
            return self.case(
                kind=kind,
                purpose=purpose,
                amount=amount,
                beneficiary=beneficiary,
                created=today - timedelta(days=days_ago),
                status=status,
                **fields,
            )

        for days in (1, 3, 6):
            fresh(AidKind.LOAN, CaseStatus.SUBMITTED, days)
        fresh(AidKind.GRANT, CaseStatus.SUBMITTED, 2, student=False)
        fresh(AidKind.GRANT, CaseStatus.DRAFT, 1, student=False)
        incomplete = fresh(AidKind.LOAN, CaseStatus.INCOMPLETE, 9, instructor=chair)
        if incomplete:
            AidCase.objects.filter(pk=incomplete.pk).update(
                member_message="Merci d'ajouter le devis de l'université d'accueil et votre budget mensuel."
            )
        for _ in range(2):
            fresh(AidKind.GRANT, CaseStatus.INSTRUCTION, 12, student=False, instructor=chair)
        urgent_case = fresh(AidKind.GRANT, CaseStatus.INSTRUCTION, 2, student=False, instructor=chair)
        if urgent_case:
            UrgentAid.objects.create(
                case=urgent_case,
                amount_eur=eur(1200),
                reason="Expulsion prévue dans dix jours faute de loyer payé.",
                requested_by=chair,
            )
        for days in (8, 14):
            case = fresh(AidKind.LOAN, CaseStatus.OPINIONS, days, instructor=chair)
            if case:
                self.opinions(case, given_on=None)
                first = case.opinions.filter(requested_from__isnull=False).first()
                if first:
                    Opinion.objects.filter(pk=first.pk).update(
                        status=OpinionStatus.GIVEN,
                        verdict="favourable",
                        given_at=timezone.now(),
                        text="Très bon dossier.",
                    )
        for i, kind in enumerate([AidKind.LOAN, AidKind.GUARANTEE, AidKind.SCHOLARSHIP, AidKind.LOAN]):
            case = fresh(kind, CaseStatus.READY, 20 + i, instructor=self.instructors[i % 3])
            if case:
                self.opinions(case, given_on=today - timedelta(days=5))
                if i < 2:  # already on the agenda of the next session
                    AidCase.objects.filter(pk=case.pk).update(session=self.planned)
                    services._recusals_compute(self.planned, case)
                    if i == 0:
                        Recusal.objects.get_or_create(
                            session=self.planned,
                            case=case,
                            user=self.committee[3],
                            defaults={"reason": "Parrain de l'élève (déclaré en séance)", "automatic": False},
                        )


# =============================================================================================
# --scale large : le volume du banc d'essai (issue 8), écrit par lots
# =============================================================================================

LARGE_SAMPLE = 20  # the small world's share of the members at --scale large (one in LARGE_SAMPLE)
LARGE_CASES = 3000  # cases in all at --scale large, the small world's included (tests lower it)
LARGE_YEARS = 10  # over the last ten years: no closed case is old enough to be anonymised yet
LARGE_BATCH = 400  # cases written per round of bulk inserts (bounded memory)
LARGE_PIPELINE_SHARE = Decimal("0.03")  # cases still in progress today, in every state before a decision
BANKS = ["Banque Populaire", "Crédit Agricole", "Société Générale", "BNP Paribas", "LCL", "Caisse d'Épargne"]
RELATIVES = ["Monique", "Françoise", "Anne", "Marie-Claire", "Odile", "Hélène", "Paul", "Louise"]
FOLLOW_UP_OUTCOMES = {
    "friendly": "Rappel amical envoyé par e-mail.",
    "call": "Appel d'un camarade de la promotion : difficultés passagères, paiement promis.",
    "letter": "Courrier envoyé avec l'échéancier à jour.",
    "committee": "Situation présentée au comité.",
}
PIPELINE_STATES = [
    (CaseStatus.DRAFT, 8),
    (CaseStatus.SUBMITTED, 14),
    (CaseStatus.INCOMPLETE, 10),
    (CaseStatus.INSTRUCTION, 22),
    (CaseStatus.OPINIONS, 16),
    (CaseStatus.READY, 16),
    (CaseStatus.ADJOURNED, 14),
]


def _uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from the seeded generator: the same references on every run."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class _Person:
    pk: int
    entry_year: int
    campus_id: int
    campus_code: str = ""
    first_name: str = ""
    last_name: str = ""
    graduation_year: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class _Planned:
    """One case to write: who, what, when, and how it ends (drawn before anything is written)."""

    person: _Person
    kind: str  # aid requested (and granted)
    student: bool
    family: bool
    session: CommitteeSession | None  # the session that decided it (or ratified the urgent aid)
    outcome: str  # approved, rejected, withdrawn, urgent, or a pipeline status
    adjourned_first: CommitteeSession | None = None  # an earlier session that adjourned it


class _Rows:
    """The rows of one batch, inserted parents first (bulk_create sets the keys the children need)."""

    ORDER = [
        "beneficiaries",
        "cases",
        "opinions",
        "decisions",
        "urgents",
        "grants",
        "loans",
        "guarantees",
        "instalments",
        "disbursements",
        "contracts",
        "repayments",
        "measures",
        "follow_ups",
        "statements",
    ]
    MODELS = {
        "beneficiaries": Beneficiary,
        "cases": AidCase,
        "opinions": Opinion,
        "decisions": Decision,
        "urgents": UrgentAid,
        "grants": Grant,
        "loans": Loan,
        "guarantees": Guarantee,
        "instalments": Instalment,
        "disbursements": Disbursement,
        "contracts": LoanContract,
        "repayments": Repayment,
        "measures": LoanMeasure,
        "follow_ups": FollowUp,
        "statements": GuaranteeStatement,
    }

    def __init__(self):
        for name in self.ORDER:
            setattr(self, name, [])

    def flush(self) -> dict[str, int]:
        counts = {}
        for name in self.ORDER:
            rows = getattr(self, name)
            self.MODELS[name].objects.bulk_create(rows, batch_size=2000)
            counts[name] = len(rows)
            setattr(self, name, [])
        return counts


class _Bulk:
    """Thousands of cases over ten years, written with bulk_create in a state the services would have left.

    Everything the nightly computation derives is written as it would compute it (days past due,
    arrears, buckets, follow-ups), so that `services.loans_nightly()` finds nothing to change. No
    service is called per row; the people are existing demo members drawn with the seeded generator.
    """

    def __init__(self, rng: random.Random, people: dict, *, total: int | None = None, years: int | None = None):
        self.rng = rng
        self.today = timezone.localdate()
        self.total = LARGE_CASES if total is None else total
        self.years = LARGE_YEARS if years is None else years
        self.chair = people["chair"]
        self.committee = people["committee"]  # chair, comite1 (president), comite2 (treasurer), comite3, comite4
        self.instructors = self.committee[:3]
        self.validators = self.committee[3:]
        self.president, self.treasurer = self.committee[1], self.committee[2]
        self.params = services.settings_get()
        self.start = date(self.today.year - self.years + 1, 1, 1)
        self.words: dict[Decimal, str] = {}
        self.counter = 0
        self.recent: dict[str, int] = {}

    # --- entry point -----------------------------------------------------------------------------

    def run(self) -> int:
        wanted = self.total - AidCase.objects.count()
        if wanted <= 0:
            return 0
        with transaction.atomic():
            self.envelopes()
            sessions = self.sessions()
            if not sessions:
                return 0
            self.closed, self.closed_dates = sessions, [s.held_on for s in sessions]
            self.population()
            self.holders()
            plans = self.plan(wanted, sessions)
            self.details(plans)
            for first in range(0, len(plans), LARGE_BATCH):
                rows, self.received = _Rows(), {}
                for planned in plans[first : first + LARGE_BATCH]:
                    self.write(rows, planned)
                rows.flush()
            self.envelopes_voted()
        return len(plans)

    # --- reference data ------------------------------------------------------------------------

    def envelopes(self) -> None:
        have = set(Envelope.objects.values_list("year", flat=True))
        Envelope.objects.bulk_create(
            [
                Envelope(year=year, amount_eur=Decimal("300000.00"))
                for year in range(self.start.year, self.today.year + 1)
                if year not in have
            ]
        )

    def envelopes_voted(self) -> None:
        """Each year's envelope covers what was decided in it (a margin kept), as the Bureau votes it."""
        committed = defaultdict(Decimal)
        for decided_at, amount in Decision.objects.filter(outcome=Outcome.APPROVED).values_list(
            "decided_at", "amount_eur"
        ):
            committed[timezone.localdate(decided_at).year] += amount or Decimal(0)
        for envelope in Envelope.objects.filter(year__gte=self.start.year):
            needed = (committed[envelope.year] * Decimal("1.1") / 50000).to_integral_value(ROUND_CEILING) * 50000
            if needed > envelope.amount_eur:
                Envelope.objects.filter(pk=envelope.pk).update(amount_eur=needed)

    def sessions(self) -> list[CommitteeSession]:
        """Monthly sessions (none in August) back to the first year; the closed ones, oldest first."""
        held = set(CommitteeSession.objects.values_list("held_on", flat=True))
        first_small = min(held) if held else self.today
        new = []
        month = self.start
        while month < first_small and month.replace(day=12) < self.today - timedelta(days=2):
            held_on = month.replace(day=12)
            if month.month != 8 and held_on not in held:
                new.append(
                    CommitteeSession(
                        public_id=_uuid(self.rng),
                        held_on=held_on,
                        status=SessionStatus.CLOSED,
                        status_changed_at=_aware(held_on, 20),
                        created_by=self.chair,
                    )
                )
            month = ledger.add_months(month, 1)
        CommitteeSession.objects.bulk_create(new)
        SessionMember.objects.bulk_create(
            [
                SessionMember(
                    session=session,
                    user=user,
                    role=SeatRole.CHAIR if user == self.chair else SeatRole.MEMBER,
                    present=user == self.chair or self.rng.random() < 0.85,
                )
                for session in new
                for user in self.committee
            ]
        )
        return list(
            CommitteeSession.objects.filter(
                status=SessionStatus.CLOSED, held_on__gte=self.start, held_on__lt=self.today
            ).order_by("held_on", "pk")
        )

    def population(self) -> None:
        """Demo members (ids, promo and campus only: 100,000 of them fit in a few MB), by entry year."""
        taken = set(Beneficiary.objects.exclude(member=None).values_list("member_id", flat=True))
        rows = (
            Member.objects.filter(
                email__endswith=f"@{DOMAIN}",
                user__isnull=True,
                status=Member.Lifecycle.ACTIVE,
                campus__isnull=False,
                entry_year__isnull=False,
            )
            .order_by("entry_year", "pk")
            .values_list("pk", "entry_year", "campus_id")
        )
        self.people = [(pk, entry, campus) for pk, entry, campus in rows.iterator(chunk_size=5000) if pk not in taken]
        self.entries = [entry for _pk, entry, _campus in self.people]  # sorted: bisect finds a promo's range
        self.used: set[int] = set()

    def holders(self) -> None:
        """Who gives each opinion today, as services.opinion_holders() finds them (one query)."""
        current = (
            GroupMembership.objects.filter(starts_on__lte=self.today)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=self.today))
            .filter(
                Q(role=OpinionRole.PROMO_DELEGATE, group__kind=Group.Kind.PROMOTION)
                | Q(
                    role__in=[OpinionRole.CAMPUS_DELEGATE, OpinionRole.CAMPUS_DIRECTOR],
                    group__kind=Group.Kind.CAMPUS,
                )
            )
            .order_by("starts_on", "pk")
            .values_list("role", "member_id", "group__campus_id", "group__entry_year")
        )
        self.holder_ids: dict[tuple, list[int]] = {}
        for role, member_id, campus_id, entry_year in current:
            key = (role, campus_id, entry_year if role == OpinionRole.PROMO_DELEGATE else None)
            self.holder_ids.setdefault(key, []).append(member_id)

    def holder(self, role: str, person: _Person) -> int | None:
        key = (role, person.campus_id, person.entry_year if role == OpinionRole.PROMO_DELEGATE else None)
        return next((pk for pk in self.holder_ids.get(key, []) if pk != person.pk), None)

    # --- drawing the cases ---------------------------------------------------------------------

    def pick(self, low: int, high: int) -> _Person | None:
        """A member not helped yet whose entry year is in [low, high]."""
        lo, hi = bisect_right(self.entries, low - 1), bisect_right(self.entries, high)
        if hi <= lo:
            return None
        for _attempt in range(8):
            pk, entry, campus = self.people[self.rng.randrange(lo, hi)]
            if pk not in self.used:
                self.used.add(pk)
                return _Person(pk, entry, campus)
        return None

    def kind_roll(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return AidKind.LOAN
        if roll < 0.75:
            return AidKind.GRANT
        return AidKind.SCHOLARSHIP if roll < 0.9 else AidKind.GUARANTEE

    def who(self, kind: str, year: int) -> tuple[_Person | None, bool, bool]:
        student = kind in {AidKind.LOAN, AidKind.GUARANTEE, AidKind.SCHOLARSHIP} and self.rng.random() < 0.85
        if student:
            return self.pick(year - 2, year), True, False
        family = kind == AidKind.GRANT and self.rng.random() < 0.25
        return self.pick(1950, year - 5), False, family

    def plan(self, wanted: int, sessions: list[CommitteeSession]) -> list[_Planned]:
        rng = self.rng
        pipeline = min(wanted // 2, max(2 * len(PIPELINE_STATES), int(wanted * LARGE_PIPELINE_SHARE)))
        plans = []
        for index in sorted(rng.randrange(len(sessions)) for _ in range(wanted - pipeline)):
            session = sessions[index]
            kind = self.kind_roll()
            person, student, family = self.who(kind, session.held_on.year)
            if person is None:
                continue
            roll = rng.random()
            outcome = "approved" if roll < 0.86 else "rejected" if roll < 0.955 else "withdrawn"
            urgent = (
                outcome == "approved" and kind == AidKind.GRANT and not student and not family and rng.random() < 0.08
            )
            adjourned = sessions[index - 1] if index and outcome != "withdrawn" and rng.random() < 0.05 else None
            plans.append(
                _Planned(
                    person,
                    kind,
                    student,
                    family,
                    session,
                    "urgent" if urgent else outcome,
                    None if urgent else adjourned,
                )
            )
        states = [state for state, _weight in PIPELINE_STATES]
        weights = [weight for _state, weight in PIPELINE_STATES]
        drawn = rng.choices(states, weights, k=max(0, pipeline - len(states)))
        for state in states[: min(pipeline, len(states))] + drawn:  # every state at least once
            kind = self.kind_roll()
            person, student, family = self.who(kind, self.today.year)
            if person is None:
                continue
            if state == CaseStatus.OPINIONS and not student:
                state = CaseStatus.INSTRUCTION  # opinions are asked for students only
            plans.append(_Planned(person, kind, student, family, sessions[-1], state))
        return plans

    def details(self, plans: list[_Planned]) -> None:
        """Names, campus code and graduation year of the members drawn (a few thousand rows)."""
        by_pk = {p.person.pk: p.person for p in plans}
        ids = sorted(by_pk)
        for first in range(0, len(ids), 1000):
            for pk, code, first_name, last_name, graduation in Member.objects.filter(
                pk__in=ids[first : first + 1000]
            ).values_list("pk", "campus__code", "first_name", "last_name", "graduation_year"):
                person = by_pk[pk]
                person.campus_code, person.first_name, person.last_name = code, first_name, last_name
                person.graduation_year = graduation
        del self.people, self.entries  # not needed any more

    # --- writing one case ----------------------------------------------------------------------

    def write(self, rows: _Rows, planned: _Planned) -> None:
        if planned.outcome in {"approved", "rejected", "withdrawn"}:
            self.decided(rows, planned)
        elif planned.outcome == "urgent":
            self.urgent(rows, planned)
        else:
            self.in_progress(rows, planned)

    def beneficiary(self, rows: _Rows, planned: _Planned, created: date) -> Beneficiary:
        person = planned.person
        if planned.family:
            row = Beneficiary(
                public_id=_uuid(self.rng),
                kind=BeneficiaryKind.FAMILY,
                member_id=person.pk,
                relation=self.rng.choice([Beneficiary.Relation.SPOUSE, Beneficiary.Relation.CHILD]),
                first_name=self.rng.choice(RELATIVES),
                last_name=person.last_name,
                created_at=_aware(created, 9),
            )
        else:
            kind = BeneficiaryKind.STUDENT if planned.student else BeneficiaryKind.MEMBER
            row = Beneficiary(public_id=_uuid(self.rng), kind=kind, member_id=person.pk, created_at=_aware(created, 9))
        rows.beneficiaries.append(row)
        return row

    def holder_name(self, planned: _Planned, beneficiary: Beneficiary) -> str:
        if planned.family:
            return f"{beneficiary.first_name} {beneficiary.last_name}".strip()
        return planned.person.full_name

    def case(self, rows: _Rows, planned: _Planned, *, created: date, status: str, amount: Decimal, **fields):
        rng = self.rng
        person = planned.person
        beneficiary = self.beneficiary(rows, planned, created)
        if planned.student:
            purpose = rng.choice([Purpose.MOBILITY, Purpose.MOBILITY, Purpose.STUDIES])
        elif planned.family:
            purpose = Purpose.BEREAVEMENT
        else:
            purpose = rng.choice([Purpose.HARDSHIP, Purpose.HEALTH, Purpose.JOB_LOSS, Purpose.OTHER])
        filed_as = rng.choices(["self", "relay", "staff"], [80, 12, 8])[0]
        case = AidCase(
            public_id=_uuid(rng),
            beneficiary=beneficiary,
            filed_as=filed_as,
            kind_requested=planned.kind,
            purpose=purpose,
            amount_requested_eur=amount,
            situation=SITUATIONS[purpose],
            status=status,
            created_at=_aware(created),
            submitted_at=None if status == CaseStatus.DRAFT else _aware(created, 11),
            status_changed_at=fields.pop("status_changed_at", _aware(created, 12)),
            beneficiary_kind=beneficiary.kind,
            campus_code=person.campus_code,
            promo_decade=person.entry_year // 10 * 10,
            **fields,
        )
        case.holder_name = self.holder_name(planned, beneficiary)  # account holder of the transfers
        rows.cases.append(case)
        return case

    def amount(self, planned: _Planned) -> Decimal:
        amount = eur(self.rng.choice([500, 800, 1000, 1500, 2000, 2500, 3000, 4000]))
        if planned.kind == AidKind.LOAN and planned.student:
            amount = min(amount, eur(3000))  # one loan per student: under the cap of the whole schooling
        return amount

    def opinions(self, rows: _Rows, planned: _Planned, case: AidCase, given_on: date | None, *, some=False):
        """The three opinions of a student case: given (or waived when nobody holds the role), or asked."""
        for n, role in enumerate(OpinionRole.values):
            holder = self.holder(role, planned.person)
            given = given_on is not None or (some and n == 0 and holder is not None)
            waived = given and holder is None
            on = given_on or self.today - timedelta(days=1)
            rows.opinions.append(
                Opinion(
                    public_id=_uuid(self.rng),
                    case=case,
                    role=role,
                    requested_from_id=holder,
                    requested_at=case.created_at,
                    due_on=case.created_at.date() + timedelta(days=self.params.opinion_delay_days),
                    status=OpinionStatus.WAIVED
                    if waived
                    else OpinionStatus.GIVEN
                    if given
                    else OpinionStatus.REQUESTED,
                    status_changed_at=_aware(on, 17) if given else case.created_at,
                    waived_by=self.chair if waived else None,
                    waive_reason="Aucun titulaire du rôle cette année." if waived else "",
                    verdict=self.rng.choice(["favourable", "favourable", "favourable", "reserved"])
                    if given and holder
                    else "",
                    text="Élève sérieux et investi dans la vie de la promotion." if given and holder else "",
                    given_at=_aware(on, 17) if given and holder else None,
                )
            )

    def decided(self, rows: _Rows, planned: _Planned) -> None:
        rng = self.rng
        session = planned.session
        held_on = session.held_on
        first = planned.adjourned_first
        created = (first.held_on if first else held_on) - timedelta(days=rng.randint(20, 60))
        amount = self.amount(planned)
        instructor = rng.choice(self.instructors)
        rapporteur = rng.choice(self.committee) if rng.random() < 0.3 else None
        decided = _aware(held_on, 19)
        if planned.outcome == "withdrawn":
            withdrawn_on = created + timedelta(days=rng.randint(5, 15))
            case = self.case(
                rows,
                planned,
                created=created,
                status=CaseStatus.WITHDRAWN,
                amount=amount,
                instructor=instructor,
                closed_at=_aware(withdrawn_on, 15),
                status_changed_at=_aware(withdrawn_on, 15),
            )
            if planned.student:
                self.opinions(rows, planned, case, created + timedelta(days=10))
            return
        approved = planned.outcome == "approved"
        granted = eur(amount * Decimal(rng.choice(["1", "1", "1", "0.8", "0.5"]))) if approved else None
        case = self.case(
            rows,
            planned,
            created=created,
            status=CaseStatus.APPROVED if approved else CaseStatus.REJECTED,
            amount=amount,
            instructor=instructor,
            rapporteur=rapporteur,
            session=session,
            decided_kind=planned.kind if approved else "",
            amount_granted_eur=granted,
            decided_at=decided,
            closed_at=None if approved else decided,
            status_changed_at=decided,
        )
        if planned.student:
            self.opinions(rows, planned, case, created + timedelta(days=10))
        if first is not None:
            rows.decisions.append(
                Decision(
                    case=case,
                    session=first,
                    outcome=Outcome.ADJOURNED,
                    reason="Pièces complémentaires demandées : devis et budget mensuel.",
                    recorded_by=self.chair,
                    decided_at=_aware(first.held_on, 19),
                )
            )
        count = rng.choice([12, 24, 30, 36]) if planned.kind == AidKind.LOAN else None
        rows.decisions.append(
            Decision(
                case=case,
                session=session,
                outcome=Outcome.APPROVED if approved else Outcome.REJECTED,
                kind=planned.kind if approved else "",
                amount_eur=granted,
                instalments_count=count if approved else None,
                deferral_months=(0 if planned.student else 6) if approved and count else None,
                reason="" if approved else "Ressources suffisantes au vu des pièces ; réorientation vers le CROUS.",
                recorded_by=self.chair,
                decided_at=decided,
            )
        )
        if not approved:
            return
        if planned.kind in {AidKind.GRANT, AidKind.SCHOLARSHIP}:
            self.grant(rows, case, held_on, granted)
        elif planned.kind == AidKind.LOAN:
            self.loan(rows, planned, case, held_on, granted, count)
        else:
            self.guarantee(rows, planned, case, held_on, granted)

    def close(self, case: AidCase, on: date) -> None:
        case.status = CaseStatus.CLOSED
        case.closed_at = case.status_changed_at = _aware(on, 16)

    # --- urgent aid, grants ----------------------------------------------------------------------

    def urgent(self, rows: _Rows, planned: _Planned) -> None:
        """Agreed by the president and the treasurer between two sessions, ratified by the next one."""
        rng = self.rng
        session = planned.session
        agreed_on = session.held_on - timedelta(days=rng.randint(6, 20))
        created = agreed_on - timedelta(days=rng.randint(1, 4))
        amount = eur(rng.choice([500, 800, 1000, 1200, 1500]))
        amount = min(amount, self.params.urgent_ceiling_eur)
        instructor = rng.choice(self.instructors)
        reason = "Expulsion prévue dans dix jours faute de loyer payé."
        case = self.case(
            rows,
            planned,
            created=created,
            status=CaseStatus.APPROVED,
            amount=amount,
            instructor=instructor,
            urgent=True,
            decided_kind=AidKind.GRANT,
            amount_granted_eur=amount,
            decided_at=_aware(agreed_on, 18),
            status_changed_at=_aware(agreed_on, 18),
        )
        rows.urgents.append(
            UrgentAid(
                case=case,
                amount_eur=amount,
                reason=reason,
                status=UrgentStatus.CONFIRMED,
                status_changed_at=_aware(agreed_on, 18),
                requested_by=instructor,
                first_by=self.president,
                first_role="president",
                first_at=_aware(agreed_on, 9),
                second_by=self.treasurer,
                second_role="treasurer",
                second_at=_aware(agreed_on, 18),
                created_at=_aware(created, 15),
                ratified_session=session,
                ratified=True,
                ratified_at=_aware(session.held_on, 20),
                ratification_note="Ratifiée par la séance.",
            )
        )
        rows.decisions.append(
            Decision(
                case=case,
                outcome=Outcome.APPROVED,
                kind=AidKind.GRANT,
                amount_eur=amount,
                reason=reason,
                urgent=True,
                recorded_by=self.treasurer,
                decided_at=_aware(agreed_on, 18),
            )
        )
        self.grant(rows, case, agreed_on, amount, urgent=True)

    def grant(self, rows: _Rows, case: AidCase, held_on: date, amount: Decimal, *, urgent=False) -> None:
        rng = self.rng
        paid_on = held_on + timedelta(days=3 if urgent else 10)
        status = PaymentStatus.CLOSED
        if held_on > self.today - timedelta(days=100):  # payments to validate and proofs awaited
            cycle = [
                PaymentStatus.PREPARED,
                PaymentStatus.VALIDATED,
                PaymentStatus.AWAITING_PROOF,
                PaymentStatus.CLOSED,
            ]
            status = cycle[self.cycle("grant", len(cycle))]
        if paid_on >= self.today and status in {PaymentStatus.AWAITING_PROOF, PaymentStatus.CLOSED}:
            status = PaymentStatus.VALIDATED
        proof = status == PaymentStatus.AWAITING_PROOF or rng.random() < 0.2
        self.counter += 1
        if status == PaymentStatus.CLOSED and rng.random() < 0.03:  # a first transfer cancelled: wrong account
            rows.grants.append(
                Grant(
                    public_id=_uuid(rng),
                    case=case,
                    kind=case.decided_kind,
                    amount_eur=amount,
                    status=PaymentStatus.CANCELLED,
                    status_changed_at=_aware(held_on + timedelta(days=2), 11),
                    account_holder=case.holder_name,
                    iban=rng.choice(IBANS),
                    prepared_by=case.instructor,
                    created_at=_aware(held_on + timedelta(days=1)),
                )
            )
        paid = status in {PaymentStatus.CLOSED, PaymentStatus.AWAITING_PROOF}
        closed_on = paid_on + timedelta(days=rng.randint(15, 40)) if proof else paid_on
        if status == PaymentStatus.CLOSED and closed_on >= self.today:
            closed_on = paid_on
        rows.grants.append(
            Grant(
                public_id=_uuid(rng),
                case=case,
                kind=case.decided_kind,
                amount_eur=amount,
                status=status,
                status_changed_at=_aware(closed_on if status == PaymentStatus.CLOSED else paid_on, 14),
                account_holder=case.holder_name,
                iban=rng.choice(IBANS),
                proof_required=proof,
                prepared_by=case.instructor,
                validated_by=None if status == PaymentStatus.PREPARED else rng.choice(self.validators),
                paid_on=paid_on if paid else None,
                payment_reference=f"VIR-ENT-L{self.counter:05d}" if paid else "",
                created_at=_aware(held_on + timedelta(days=3)),
            )
        )
        if status == PaymentStatus.CLOSED:
            self.close(case, closed_on)

    def cycle(self, what: str, length: int) -> int:
        """Rotates through the recent states so that each of them shows, whatever the volume."""
        self.recent[what] = self.recent.get(what, -1) + 1
        return self.recent[what] % length

    # --- honour loans ----------------------------------------------------------------------------

    def graduation_on(self, person: _Person) -> date:
        """services.graduation_date_for() without a query per member."""
        year = person.graduation_year or person.entry_year + 3
        return ledger.safe_date(year, self.params.graduation_month, self.params.graduation_day)

    def contract_text(self, case: AidCase, amount: Decimal, count: int, first_due: date) -> str:
        return (
            f"<h1>Prêt d'honneur</h1><p>{escape(case.holder_name)} reconnaît avoir reçu de la Soce un prêt "
            f"d'honneur sans intérêt de {self.in_words(amount)} ({amount} €), remboursable en {count} "
            f"mensualités à partir du {first_due:%d/%m/%Y}.</p><p>Contrat signé sur papier ; texte conservé.</p>"
        )

    def in_words(self, amount: Decimal) -> str:
        if amount not in self.words:
            self.words[amount] = amount_in_words(amount)
        return self.words[amount]

    def loan(self, rows: _Rows, planned: _Planned, case: AidCase, held_on: date, amount: Decimal, count: int):
        rng = self.rng
        graduation_on = self.graduation_on(planned.person) if planned.student else None
        first_due = ledger.student_first_due_on(graduation_on) if graduation_on else ledger.add_months(held_on, 6)
        loan = Loan(
            public_id=_uuid(rng),
            case=case,
            beneficiary=case.beneficiary,
            for_student=planned.student,
            principal_eur=amount,
            status=LoanStatus.OFFERED,
            status_changed_at=_aware(held_on, 19),
            instalments_count=count,
            deferral_months=0 if planned.student else 6,
            graduation_on=graduation_on,
            first_due_on=first_due,
            arrears_computed_on=self.today,
            created_at=_aware(held_on, 19),
        )
        rows.loans.append(loan)
        lines = ledger.build_schedule(principal=amount, count=count, first_due_on=first_due)
        self.schedule(rows, loan, lines)
        stage = None
        if held_on > self.today - timedelta(days=100):  # the last three sessions: to sign, to pay out, being paid out
            stage = (LoanStatus.DISBURSING, LoanStatus.OFFERED, LoanStatus.SIGNED)[self.cycle("loan", 3)]
        elif rng.random() < 0.02:  # an offer never taken up
            loan.status = LoanStatus.CANCELLED
            loan.status_changed_at = _aware(held_on + timedelta(days=45), 11)
            self.close(case, held_on + timedelta(days=45))
            return
        if stage == LoanStatus.OFFERED:
            return
        signed_on = held_on + timedelta(days=5)
        text = self.contract_text(case, amount, count, first_due)
        rows.contracts.append(
            LoanContract(
                public_id=_uuid(rng),
                loan=loan,
                text=text,
                text_sha256=hashlib.sha256(text.encode()).hexdigest(),
                amount_words=self.in_words(amount),
                amount_figures=f"{amount}".replace(".", ","),
                accepted_by=self.chair,
                accepted_at=_aware(signed_on, 21),
                signed_at=_aware(signed_on, 21),
                evidence_sha256=hashlib.sha256(f"papier-{loan.public_id}".encode()).hexdigest(),
            )
        )
        paid_on = held_on + timedelta(days=12)
        self.counter += 1
        if stage == LoanStatus.SIGNED:
            loan.status = LoanStatus.SIGNED
            loan.status_changed_at = _aware(signed_on, 21)
            self.tranche(rows, case, loan, amount, None, validated=False)
            return
        if stage == LoanStatus.DISBURSING:  # two tranches: the first paid, the second validated
            half = eur(amount / 2)
            self.tranche(rows, case, loan, half, paid_on)
            self.tranche(rows, case, loan, amount - half, None, validated=True)
            loan.status = LoanStatus.DISBURSING
            loan.status_changed_at = _aware(paid_on, 15)
            return
        self.tranche(rows, case, loan, amount, paid_on)
        loan.status = LoanStatus.DEFERRED
        loan.status_changed_at = _aware(paid_on, 15)
        if first_due > self.today:
            return
        self.repay(rows, case, loan, lines)

    def schedule(self, rows: _Rows, loan: Loan, lines: list, version: int = 1) -> None:
        rows.instalments.extend(
            Instalment(loan=loan, version=version, seq=ln.seq, due_on=ln.due_on, amount_eur=ln.amount_eur)
            for ln in lines
        )

    def tranche(self, rows: _Rows, case, loan, amount, paid_on: date | None, *, validated=True) -> None:
        created = case.decided_at.date() + timedelta(days=8)
        rows.disbursements.append(
            Disbursement(
                public_id=_uuid(self.rng),
                loan=loan,
                amount_eur=amount,
                status=DisbursementStatus.PAID
                if paid_on
                else DisbursementStatus.VALIDATED
                if validated
                else DisbursementStatus.PREPARED,
                status_changed_at=_aware(paid_on or created, 15),
                account_holder=case.holder_name,
                iban=self.rng.choice(IBANS),
                prepared_by=case.instructor,
                validated_by=self.rng.choice(self.validators) if paid_on or validated else None,
                paid_on=paid_on,
                payment_reference=f"VIR-PH-L{self.counter:05d}-{len(rows.disbursements)}" if paid_on else "",
                created_at=_aware(created),
            )
        )

    def payments(self, rows: _Rows, loan: Loan, lines: list, stop: int | None = None) -> list[Repayment]:
        """One repayment per instalment due, a few days after its date; `stop` instalments at most."""
        entries = []
        for ln in [ln for ln in lines if ln.due_on < self.today][:stop]:
            received = ln.due_on + timedelta(days=self.rng.randint(0, 6))
            if received >= self.today:
                break
            entries.append(self.repayment(loan, ln.amount_eur, received, f"ECH-{loan.public_id.hex[:6]}-{ln.seq}"))
        rows.repayments.extend(entries)
        return entries

    def repayment(self, loan: Loan, amount: Decimal, received: date, reference: str) -> Repayment:
        entry = Repayment(
            public_id=_uuid(self.rng),
            loan=loan,
            amount_eur=amount,
            received_on=received,
            method=self.rng.choice(["transfer", "transfer", "direct_debit", "cheque"]),
            reference=reference,
            recorded_by=self.validators[0],
            recorded_at=_aware(received, 16),
        )
        self.received.setdefault(id(loan), []).append(entry)  # this batch's loans only (see run)
        return entry

    def repay(self, rows: _Rows, case: AidCase, loan: Loan, lines: list) -> None:
        """Good payers, early payoffs, payers who stopped (the arrears buckets), and the committee's measures."""
        rng = self.rng
        due = [ln for ln in lines if ln.due_on < self.today]
        roll = rng.random()
        if roll < 0.05 and len(due) >= 4 and self.measure(rows, case, loan, lines, due):
            return
        if roll < 0.17 and len(due) >= 4:  # paid the balance off early, in one transfer
            paid = self.payments(rows, loan, lines, stop=rng.randint(2, len(due) - 1))
            done = sum((e.amount_eur for e in paid), Decimal(0))
            last = paid[-1].received_on if paid else loan.first_due_on
            payoff = last + timedelta(days=rng.randint(7, 25))
            if payoff < self.today and done < loan.principal_eur:
                rows.repayments.append(
                    self.repayment(loan, loan.principal_eur - done, payoff, f"SOLDE-{loan.public_id.hex[:6]}")
                )
            self.settle(rows, case, loan, lines)
            return
        stop = None
        if roll < 0.32:  # stopped paying some months ago: the nightly buckets them
            stop = max(0, len(due) - rng.choice([1, 1, 1, 2, 2, 2, 3, 3, 4, 6, 9]))
        self.payments(rows, loan, lines, stop=stop)
        self.settle(rows, case, loan, lines)

    def settle(self, rows: _Rows, case: AidCase, loan: Loan, lines: list, *, base: Decimal = Decimal(0)) -> None:
        """Status, arrears and follow-ups as services.loan_refresh() would leave them today."""
        mine = self.received.get(id(loan), [])
        total = sum((e.amount_eur for e in mine), Decimal(0))
        last = max((e.received_on for e in mine), default=None)
        if total >= loan.principal_eur:
            loan.status = LoanStatus.REPAID
            loan.status_changed_at = _aware(last, 16)
            if case.status == CaseStatus.APPROVED:
                self.close(case, last)
            return
        loan.status = LoanStatus.REPAYING
        loan.status_changed_at = _aware(max(loan.first_due_on, loan.created_at.date()), 6)
        arrears = ledger.compute_arrears(
            lines=[(ln.due_on, ln.amount_eur) for ln in lines], base_eur=base, repaid_eur=total, today=self.today
        )
        loan.days_past_due, loan.arrears_eur, loan.arrears_bucket = (
            arrears.days_past_due,
            arrears.arrears_eur,
            arrears.bucket,
        )
        if arrears.bucket != "none":
            self.follow_ups(rows, loan, self.today - timedelta(days=arrears.days_past_due), arrears.bucket)

    def follow_ups(self, rows: _Rows, loan: Loan, late_since: date, bucket: str, *, all_done=False) -> None:
        """One follow-up per step reached: the earlier ones done by the team, the current one open."""
        for threshold, step in sorted(ledger.BUCKET_THRESHOLDS):
            opened = late_since + timedelta(days=threshold)
            current = step == bucket and not all_done
            done = not current and opened + timedelta(days=3) < self.today
            rows.follow_ups.append(
                FollowUp(
                    loan=loan,
                    bucket=step,
                    status=FollowUpStatus.DONE if done else FollowUpStatus.OPEN,
                    opened_on=opened,
                    days_past_due=threshold,
                    done_by=self.rng.choice(self.instructors) if done else None,
                    done_at=_aware(opened + timedelta(days=3), 15) if done else None,
                    outcome=FOLLOW_UP_OUTCOMES[step] if done else "",
                )
            )
            if step == bucket:
                return

    def measure(self, rows: _Rows, case: AidCase, loan: Loan, lines: list, due: list) -> bool:
        """A borrower stops paying; three months later the committee forgives, writes off or reschedules."""
        rng = self.rng
        paid_count = rng.randint(1, len(due) - 3)
        late_since = due[paid_count].due_on
        index = bisect_right(self.closed_dates, late_since + timedelta(days=99))
        if index >= len(self.closed) or self.closed[index].held_on >= self.today - timedelta(days=5):
            return False  # the committee has not examined it yet
        session = self.closed[index]
        entries = self.payments(rows, loan, lines, stop=paid_count)  # all received long before the session
        paid = sum((e.amount_eur for e in entries), Decimal(0))
        balance = loan.principal_eur - paid
        validated_on = session.held_on + timedelta(days=2)
        kind = rng.choice([MeasureKind.FORGIVE, MeasureKind.WRITE_OFF, MeasureKind.RESCHEDULE])
        count = rng.choice([24, 36]) if kind == MeasureKind.RESCHEDULE else None
        new_first = ledger.add_months(session.held_on, 2) if count else None
        rows.measures.append(
            LoanMeasure(
                public_id=_uuid(rng),
                loan=loan,
                kind=kind,
                status=MeasureStatus.VALIDATED,
                status_changed_at=_aware(validated_on),
                session=session,
                decision_note={
                    MeasureKind.FORGIVE: "Situation examinée en séance : solde transformé en don.",
                    MeasureKind.WRITE_OFF: "Emprunteur injoignable après courrier : passage en perte.",
                    MeasureKind.RESCHEDULE: "Nouvel échéancier sur le solde, après l'entretien avec l'emprunteur.",
                }[kind],
                new_instalments_count=count,
                new_first_due_on=new_first,
                amount_eur=balance,
                proposed_by=self.instructors[0],
                validated_by=self.validators[0],
                created_at=_aware(session.held_on, 20),
                validated_at=_aware(validated_on),
            )
        )
        self.follow_ups(rows, loan, late_since, "committee", all_done=True)
        if kind == MeasureKind.RESCHEDULE:
            new_lines = ledger.build_schedule(principal=balance, count=count, first_due_on=new_first)
            self.schedule(rows, loan, new_lines, version=2)
            loan.schedule_version, loan.schedule_base_eur, loan.instalments_count = 2, paid, count
            loan.first_due_on = min(loan.first_due_on, new_first)
            stop = None
            if rng.random() < 0.25:
                stop = max(0, len([ln for ln in new_lines if ln.due_on < self.today]) - rng.choice([1, 2, 4]))
            self.payments(rows, loan, new_lines, stop=stop)
            self.settle(rows, case, loan, new_lines, base=paid)
            return True
        if kind == MeasureKind.FORGIVE:
            loan.status, loan.forgiven_eur = LoanStatus.FORGIVEN, balance
        else:
            loan.status, loan.written_off_eur = LoanStatus.WRITTEN_OFF, balance
        loan.status_changed_at = _aware(validated_on)
        self.close(case, validated_on)
        return True

    # --- bank guarantees -------------------------------------------------------------------------

    def guarantee(self, rows: _Rows, planned: _Planned, case: AidCase, held_on: date, amount: Decimal) -> None:
        rng = self.rng
        starts = held_on + timedelta(days=20)
        ends = starts + timedelta(days=365 * 3)
        guarantee = Guarantee(
            public_id=_uuid(rng),
            case=case,
            bank=rng.choice(BANKS),
            loan_reference=f"PE-{held_on.year}-L{len(rows.guarantees):03d}{rng.randint(100, 999)}",
            loan_amount_eur=eur(amount * 2),
            share_percent=Decimal("50.00"),
            ceiling_eur=amount,
            starts_on=starts,
            ends_on=ends,
            status=GuaranteeStatus.ACTIVE,
            status_changed_at=_aware(starts),
            created_by=case.instructor,
            created_at=_aware(held_on + timedelta(days=4)),
        )
        rows.guarantees.append(guarantee)
        roll = rng.random()
        called_on = starts + timedelta(days=rng.randint(200, 700))
        if roll < 0.1 and called_on + timedelta(days=70) < self.today:  # called and paid: a receivable
            self.called(rows, planned, case, guarantee, called_on)
        elif ends >= self.today and starts < self.today - timedelta(days=60) and self.cycle("guarantee", 8) == 0:
            called_on = self.today - timedelta(days=rng.randint(3, 40))  # called, payment to validate
            guarantee.status, guarantee.status_changed_at = GuaranteeStatus.CALLED, _aware(called_on)
            guarantee.called_on, guarantee.called_eur = called_on, eur(guarantee.guaranteed_eur / 2)
            guarantee.called_by = self.instructors[0]
        elif ends < self.today:
            guarantee.status, guarantee.released_on = GuaranteeStatus.RELEASED, ends
            guarantee.status_changed_at = _aware(ends)
            self.close(case, ends)
        self.statements(rows, guarantee)

    def statements(self, rows: _Rows, guarantee: Guarantee) -> None:
        """The bank's yearly statements received so far, the outstanding capital going down."""
        last = guarantee.called_on or guarantee.ends_on
        for year in range(guarantee.starts_on.year, last.year):
            received = date(year + 1, 2, 15)
            if received >= self.today or received > last:
                break
            left = Decimal(1) - Decimal(year - guarantee.starts_on.year + 1) / Decimal(3)
            rows.statements.append(
                GuaranteeStatement(
                    guarantee=guarantee,
                    year=year,
                    outstanding_eur=eur(max(guarantee.loan_amount_eur * left, Decimal(0))),
                    received_on=received,
                )
            )

    def called(self, rows: _Rows, planned: _Planned, case: AidCase, guarantee: Guarantee, called_on: date) -> None:
        """The bank called it, a second person paid; the student repays the receivable (started already)."""
        called = eur(guarantee.guaranteed_eur / 2)
        paid_on = called_on + timedelta(days=20)
        first_due = called_on + timedelta(days=60)
        receivable = Loan(
            public_id=_uuid(self.rng),
            case=case,
            beneficiary=case.beneficiary,
            origin=LoanOrigin.GUARANTEE_CALL,
            for_student=planned.student,
            principal_eur=called,
            status=LoanStatus.DEFERRED,
            status_changed_at=_aware(paid_on),
            instalments_count=24,
            first_due_on=first_due,
            arrears_computed_on=self.today,
            created_at=_aware(paid_on),
        )
        rows.loans.append(receivable)
        lines = ledger.build_schedule(principal=called, count=24, first_due_on=first_due)
        self.schedule(rows, receivable, lines)
        self.counter += 1
        guarantee.status, guarantee.status_changed_at = GuaranteeStatus.PAID, _aware(paid_on)
        guarantee.called_on, guarantee.called_eur, guarantee.called_by = called_on, called, self.instructors[0]
        guarantee.paid_on, guarantee.paid_reference, guarantee.paid_by = (
            paid_on,
            f"CAUT-L{self.counter:05d}",
            self.validators[0],
        )
        guarantee.receivable = receivable
        stop = None
        if self.rng.random() < 0.25:
            stop = max(0, len([ln for ln in lines if ln.due_on < self.today]) - self.rng.choice([1, 2, 3, 5]))
        self.payments(rows, receivable, lines, stop=stop)
        self.settle(rows, case, receivable, lines)

    # --- the cases still in progress -----------------------------------------------------------

    def in_progress(self, rows: _Rows, planned: _Planned) -> None:
        rng = self.rng
        state = planned.outcome
        amount = self.amount(planned)
        instructor = rng.choice(self.instructors) if state not in {CaseStatus.DRAFT, CaseStatus.SUBMITTED} else None
        if state == CaseStatus.ADJOURNED:
            session = planned.session  # the last session held
            created = session.held_on - timedelta(days=rng.randint(20, 50))
            case = self.case(
                rows,
                planned,
                created=created,
                status=state,
                amount=amount,
                instructor=instructor,
                session=session,
                status_changed_at=_aware(session.held_on, 19),
            )
            rows.decisions.append(
                Decision(
                    case=case,
                    session=session,
                    outcome=Outcome.ADJOURNED,
                    reason="Pièces complémentaires demandées : devis et budget mensuel.",
                    recorded_by=self.chair,
                    decided_at=_aware(session.held_on, 19),
                )
            )
            if planned.student:
                self.opinions(rows, planned, case, created + timedelta(days=10))
            return
        created = self.today - timedelta(days=rng.randint(1, 40))
        case = self.case(
            rows,
            planned,
            created=created,
            status=state,
            amount=amount,
            instructor=instructor,
            member_message="Merci d'ajouter le devis et votre budget mensuel."
            if state == CaseStatus.INCOMPLETE
            else "",
        )
        if state == CaseStatus.OPINIONS:
            self.opinions(rows, planned, case, None, some=rng.random() < 0.5)
        elif state == CaseStatus.READY and planned.student:
            self.opinions(rows, planned, case, min(created + timedelta(days=10), self.today - timedelta(days=1)))
        elif (
            state == CaseStatus.INSTRUCTION
            and planned.kind == AidKind.GRANT
            and not planned.student
            and rng.random() < 0.3
        ):  # an urgent aid awaiting its second agreement
            rows.urgents.append(
                UrgentAid(
                    case=case,
                    amount_eur=eur(rng.choice([800, 1000, 1200])),
                    reason="Coupure d'électricité annoncée ; facture impayée.",
                    requested_by=instructor,
                    first_by=self.president,
                    first_role="president",
                    first_at=_aware(self.today - timedelta(days=1)),
                    created_at=_aware(created, 15),
                )
            )
