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
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group as AuthGroup
from django.db import transaction
from django.utils import timezone

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
    Grant,
    Guarantee,
    GuaranteeStatus,
    Instalment,
    Loan,
    LoanContract,
    LoanMeasure,
    LoanOrigin,
    LoanStatus,
    Opinion,
    OpinionStatus,
    PaymentStatus,
    Purpose,
    Recusal,
    Repayment,
    SeatRole,
    SessionMember,
    SessionStatus,
    UrgentAid,
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
    with transaction.atomic():
        world = _World(rng, people)
        world.history()
        world.special_endings()
        world.pipeline()
    services.loans_nightly()
    try:
        services.reminders_ensure()
    except Exception as exc:  # the reminders engine is optional for the demo
        stdout.write(f"  entraide : relances non créées ({exc.__class__.__name__})")
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
    def __init__(self, rng: random.Random, people: dict):
        self.rng = rng
        self.today = timezone.localdate()
        self.chair = people["chair"]
        self.committee = people["committee"]
        self.instructors = self.committee[:3]
        self.validators = self.committee[3:]
        self.params = services.settings_get()
        self.by_entry: dict[int, list[Member]] = {}
        for member in (
            Member.objects.filter(email__endswith=f"@{DOMAIN}", campus__isnull=False, entry_year__isnull=False)
            .exclude(user__isnull=False)
            .select_related("campus", "category")
        ):
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
        late = Loan.objects.filter(status=LoanStatus.REPAYING, origin=LoanOrigin.HONOUR_LOAN).order_by("first_due_on")
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
