"""Les règles de l'entraide, service par service : avis, séance, plafond, quatre yeux, prêt, retards."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from entraide import services
from entraide.models import (
    AidCase,
    Beneficiary,
    CommitteeSeat,
    EntraideSettings,
    Envelope,
    FollowUp,
    Loan,
    Opinion,
    Recusal,
    Repayment,
)
from members.models import Group, GroupMembership
from soce.lib.audit import audit_for
from soce.lib.exceptions import BusinessError
from soce.lib.models import OutgoingEmail
from soce.lib.signing.models import SignableDocument

from .conftest import (
    VALID_IBAN,
    approved_loan,
    entraide_user,
    file_case,
    member_user,
    sign_contract,
    to_session,
    upload,
)

pytestmark = pytest.mark.django_db


def test_cap_is_seeded_as_data():
    import importlib

    from django.apps import apps

    EntraideSettings.objects.all().delete()  # a flushed database (transactional tests) has lost it
    importlib.import_module("entraide.migrations.0002_seed_settings").seed(apps, None)
    assert EntraideSettings.objects.get().student_loan_cap_eur == Decimal("4500.00")
    assert services.settings_get().student_loan_cap_eur == Decimal("4500.00")


# --- Dépôt et avis ------------------------------------------------------------------------------


def test_request_files_a_student_case_with_its_document(student_case, student):
    case = student_case
    assert case.status == AidCase.Status.SUBMITTED
    assert case.beneficiary.kind == Beneficiary.Kind.STUDENT
    assert (case.campus_code, case.promo_decade) == ("Bo", student.entry_year // 10 * 10)
    assert case.documents.get().content_type == "application/pdf"
    assert OutgoingEmail.objects.filter(template="entraide/case_submitted", to=student.email).exists()
    assert [e.action for e in audit_for(case)][::-1][:2] == ["case.created", "case.document_added"]


def test_renamed_executable_is_refused_and_nothing_is_filed(student_user, student):
    exe = upload("attestation.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(BusinessError, match="Seuls les PDF"):
        file_case(student_user, student, files=[exe])
    assert not AidCase.objects.exists()


def test_assignment_asks_the_three_named_roles(
    student_case, instructor, delegates, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.case_assign(case=student_case, instructor=instructor, by=instructor)
    assert student_case.status == AidCase.Status.OPINIONS
    opinions = {o.role: o for o in Opinion.objects.filter(case=student_case)}
    assert {role: o.requested_from for role, o in opinions.items()} == delegates
    assert all(o.due_on == timezone.localdate() + timedelta(days=15) for o in opinions.values())
    assert sorted(m.to[0] for m in mailoutbox if "avis" in m.subject) == sorted([m.email for m in delegates.values()])


def test_a_missing_role_holder_must_be_waived_by_the_chair(student_case, instructor, delegates, chair, committee):
    GroupMembership.objects.filter(member=delegates["campus_director"]).delete()
    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    missing = Opinion.objects.get(case=student_case, role="campus_director")
    assert missing.requested_from is None
    for opinion in Opinion.objects.filter(case=student_case, requested_from__isnull=False):
        services.opinion_give(opinion=opinion, by=opinion.requested_from.user, verdict="favourable")
    with pytest.raises(BusinessError, match="avis sont encore attendus"):
        services.case_mark_ready(case=student_case, by=instructor)
    with pytest.raises(BusinessError, match="président du comité"):
        services.opinion_waive(opinion=missing, by=committee[1], reason="Pas de directeur nommé")
    services.opinion_waive(opinion=missing, by=chair, reason="Pas de directeur nommé")
    assert audit_for(missing).first().note == "Pas de directeur nommé"
    services.case_mark_ready(case=student_case, by=instructor)
    assert student_case.status == AidCase.Status.READY


def test_only_the_person_asked_gives_the_opinion(student_case, instructor, delegates):
    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    opinion = Opinion.objects.get(case=student_case, role="promo_delegate")
    with pytest.raises(BusinessError, match="autre personne"):
        services.opinion_give(opinion=opinion, by=delegates["campus_delegate"].user, verdict="favourable")


def test_incomplete_then_resubmitted(student_case, instructor):
    services.case_mark_incomplete(case=student_case, by=instructor, message="Le devis de l'école manque.")
    assert (student_case.status, student_case.member_message) == ("incomplete", "Le devis de l'école manque.")
    services.case_submit(case=student_case, by=student_case.filed_by)
    assert student_case.status == "submitted"


def test_opinion_reminders_rule(student_case, instructor, delegates):
    from entraide.reminders import opinions_due

    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    due = Opinion.objects.filter(case=student_case).first().due_on
    assert list(opinions_due(None, due - timedelta(days=10))) == []
    keys = {r.key.split(":")[1] for r in opinions_due(None, due - timedelta(days=2))}
    assert keys == {"j-3"}
    late = list(opinions_due(None, due + timedelta(days=8)))
    assert {r.key.split(":")[1] for r in late} == {"j+7"} and len(late) == 3


# --- Séance, récusations, quorum, décision -------------------------------------------------------


def test_linked_committee_members_are_flagged_and_recused(student_case, student, instructor, committee, campus):
    same_promo = committee[2].member
    same_promo.campus, same_promo.entry_year, same_promo.graduation_year = campus, student.entry_year, None
    same_promo.save()
    gt = Group.objects.create(kind=Group.Kind.TERRITORIAL, name="GT Gironde", slug="gt-gironde")
    GroupMembership.objects.create(member=student, group=gt)
    GroupMembership.objects.create(member=committee[3].member, group=gt)
    session = to_session(student_case, instructor=instructor, committee=committee)
    reasons = dict(Recusal.objects.filter(session=session, case=student_case).values_list("user_id", "reason"))
    assert reasons == {committee[2].pk: "même promotion", committee[3].pk: "même groupe (GT Gironde)"}
    present, quorum = services.quorum_for(session=session, case=student_case)
    assert (present, quorum) == (2, 3)
    with pytest.raises(BusinessError, match="Quorum non atteint"):
        services.case_decide(
            case=student_case, by=committee[1], outcome="approved", kind="loan", amount_eur=Decimal("3000")
        )


def test_family_and_own_referrals_are_links(db, instructor, committee, delegates):
    relay_user = committee[1]
    _user, nephew = member_user("neveu@exemple.fr", campus=committee[1].member.campus, entry_year=2024)
    with pytest.raises(BusinessError, match="Seuls les délégués"):
        services.request_file(
            by=relay_user,
            member=relay_user.member,
            for_whom="relay",
            relay_email=nephew.email,
            kind_requested="grant",
            purpose="hardship",
            amount_requested_eur=Decimal("500"),
            situation="",
            files=[],
        )
    gt = Group.objects.create(kind=Group.Kind.TERRITORIAL, name="GT Bourgogne", slug="gt-bourgogne")
    GroupMembership.objects.create(member=relay_user.member, group=gt, role=GroupMembership.Role.PRESIDENT)
    case = services.request_file(
        by=relay_user,
        member=relay_user.member,
        for_whom="relay",
        relay_email=nephew.email,
        kind_requested="grant",
        purpose="hardship",
        amount_requested_eur=Decimal("500"),
        situation="",
        files=[],
    )
    assert "a déposé ou relayé la demande" in services.beneficiary_links(case=case, user=relay_user)
    widow_case = services.request_file(
        by=committee[2],
        member=committee[2].member,
        for_whom="family",
        relative={"first_name": "Anne", "last_name": "Martin", "relation": "spouse"},
        kind_requested="grant",
        purpose="bereavement",
        amount_requested_eur=Decimal("800"),
        situation="",
        files=[],
    )
    assert "famille : le bénéficiaire est son proche" in services.beneficiary_links(case=widow_case, user=committee[2])
    assert services.beneficiary_links(case=widow_case, user=committee[3]) == []


def test_recused_member_cannot_decide(student_case, instructor, committee):
    session = to_session(student_case, instructor=instructor, committee=committee)
    services.recusal_add(
        session=session, case=student_case, user=committee[1], by=committee[0], reason="Ami de la famille"
    )
    with pytest.raises(BusinessError, match="récusé"):
        services.case_decide(case=student_case, by=committee[1], outcome="adjourned")


def test_only_present_members_decide(student_case, instructor, committee, outsider):
    to_session(student_case, instructor=instructor, committee=committee, present=committee[:3])
    with pytest.raises(BusinessError, match="membre présent"):
        services.case_decide(case=student_case, by=committee[3], outcome="adjourned")
    with pytest.raises(BusinessError, match="membre présent"):
        services.case_decide(case=student_case, by=outsider, outcome="adjourned")


def test_decision_cannot_be_recorded_outside_an_open_session(student_case, instructor, committee):
    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    with pytest.raises(BusinessError, match="séance n'est pas ouverte"):
        services.case_decide(case=student_case, by=committee[1], outcome="adjourned")


def test_approved_loan_differs_from_request_and_is_offered(student_case, student, instructor, committee, mailoutbox):
    loan = approved_loan(student_case, instructor=instructor, committee=committee, amount="2500", count=25)
    student_case.refresh_from_db()
    assert (student_case.status, student_case.amount_granted_eur, student_case.decided_kind) == (
        "approved",
        Decimal("2500.00"),
        "loan",
    )
    assert loan.status == Loan.Status.OFFERED and loan.for_student
    graduation = date(student.graduation_year, 6, 30)
    assert loan.graduation_on == graduation
    assert loan.first_due_on == date(student.graduation_year + 1, 6, 30)
    instalments = list(loan.instalments.all())
    assert len(instalments) == 25 and sum(i.amount_eur for i in instalments) == Decimal("2500.00")
    assert OutgoingEmail.objects.filter(template="entraide/loan_offered").exists()


def test_student_cap_is_checked_at_decision(student_case, student_user, student, instructor, committee, delegates):
    approved_loan(student_case, instructor=instructor, committee=committee, amount="3000")
    second = file_case(student_user, student, amount="2000")
    to_session(second, instructor=instructor, committee=committee)
    with pytest.raises(BusinessError, match=r"Plafond .* il reste 1\u202f500,00\u00a0€"):
        services.case_decide(case=second, by=committee[1], outcome="approved", kind="loan", amount_eur=Decimal("2000"))
    EntraideSettings.objects.update(student_loan_cap_eur=Decimal("6000"))  # data, not code
    services.case_decide(case=second, by=committee[1], outcome="approved", kind="loan", amount_eur=Decimal("2000"))


def test_rejection_needs_a_reason_and_close_adjourns_the_rest(student_case, instructor, committee):
    session = to_session(student_case, instructor=instructor, committee=committee)
    with pytest.raises(BusinessError, match="motif du refus"):
        services.case_decide(case=student_case, by=committee[1], outcome="rejected")
    services.session_close(session=session, by=committee[0])
    student_case.refresh_from_db()
    assert student_case.status == "adjourned"
    session.refresh_from_db()
    assert session.minutes_pdf.name.endswith(".pdf")
    assert session.minutes_pdf.open("rb").read(4) == b"%PDF"


def test_envelope_shows_committed_and_left(student_case, instructor, committee):
    Envelope.objects.create(year=timezone.localdate().year, amount_eur=Decimal("100000"))
    approved_loan(student_case, instructor=instructor, committee=committee, amount="3000")
    summary = services.envelope_summary(year=timezone.localdate().year)
    assert (summary["committed"], summary["left"]) == (Decimal("3000.00"), Decimal("97000.00"))


# --- Aide d'urgence ------------------------------------------------------------------------------


@pytest.fixture
def president_treasurer(db):
    bureau = Group.objects.create(kind=Group.Kind.NATIONAL, name="Bureau national", slug="bureau-national")
    people = {}
    for role in ("president", "treasurer"):
        user = entraide_user(f"{role}@exemple.fr", entry_year=1970)
        GroupMembership.objects.create(member=user.member, group=bureau, role=role)
        people[role] = user
    return people


def test_urgent_aid_needs_president_and_treasurer(db, instructor, president_treasurer, committee):
    user, member = member_user("veuve@exemple.fr")
    case = file_case(user, member, kind="grant", amount="900", purpose="bereavement", files=[])
    services.case_assign(case=case, instructor=instructor, by=instructor)
    with pytest.raises(BusinessError, match="ne dépasse pas"):
        services.urgent_request(case=case, by=instructor, amount_eur=Decimal("2000"), reason="Loyer")
    urgent = services.urgent_request(case=case, by=instructor, amount_eur=Decimal("900"), reason="Loyer impayé")
    with pytest.raises(BusinessError, match="président et le trésorier"):
        services.urgent_approve(urgent=urgent, by=instructor)
    services.urgent_approve(urgent=urgent, by=president_treasurer["president"])
    with pytest.raises(BusinessError, match="autre personne"):
        services.urgent_approve(urgent=urgent, by=president_treasurer["president"])
    services.urgent_approve(urgent=urgent, by=president_treasurer["treasurer"])
    case.refresh_from_db()
    assert (case.status, case.urgent, case.amount_granted_eur) == ("approved", True, Decimal("900.00"))
    # Ratified at the next session.
    session = services.session_create(held_on=timezone.localdate(), by=committee[0])
    urgent.refresh_from_db()
    assert urgent.ratified_session == session
    services.session_set_attendance(session=session, present_ids={u.pk for u in committee}, by=committee[0])
    services.session_open(session=session, by=committee[0])
    services.urgent_ratify(urgent=urgent, by=committee[1], ratified=True, note="Ratifiée à l'unanimité")
    urgent.refresh_from_db()
    assert urgent.ratified is True


# --- Secours : quatre yeux -------------------------------------------------------------------------


def grant_case(instructor, committee):
    user, member = member_user("camarade@exemple.fr")
    case = file_case(user, member, kind="grant", amount="1200", purpose="job_loss", files=[])
    to_session(case, instructor=instructor, committee=committee)
    services.case_decide(case=case, by=committee[1], outcome="approved", kind="grant", amount_eur=Decimal("1000"))
    return case


def test_grant_maker_is_never_the_checker(db, instructor, committee):
    case = grant_case(instructor, committee)
    with pytest.raises(BusinessError, match="IBAN"):
        services.grant_prepare(
            case=case, by=instructor, amount_eur=Decimal("1000"), account_holder="X", iban="FR00 1234"
        )
    with pytest.raises(BusinessError, match="reste à verser"):
        services.grant_prepare(
            case=case, by=instructor, amount_eur=Decimal("1500"), account_holder="X", iban=VALID_IBAN
        )
    grant = services.grant_prepare(
        case=case,
        by=instructor,
        amount_eur=Decimal("1000"),
        account_holder="Jean X",
        iban=VALID_IBAN,
        proof_required=True,
    )
    assert grant.iban == VALID_IBAN.replace(" ", "")
    with pytest.raises(BusinessError, match="différente de celle qui a préparé"):
        services.grant_validate(grant=grant, by=instructor)
    services.grant_validate(grant=grant, by=committee[1])
    services.grant_mark_paid(grant=grant, by=instructor, paid_on=timezone.localdate(), reference="VIR-1")
    assert grant.status == "awaiting_proof"
    services.grant_receive_proof(grant=grant, by=instructor)
    case.refresh_from_db()
    assert (grant.status, case.status) == ("closed", "closed")


def test_four_eyes_is_also_a_database_rule(db, instructor, committee):
    from django.db import IntegrityError, transaction

    case = grant_case(instructor, committee)
    grant = services.grant_prepare(
        case=case, by=instructor, amount_eur=Decimal("10"), account_holder="X", iban=VALID_IBAN
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        type(grant).objects.filter(pk=grant.pk).update(validated_by=instructor)


# --- Prêt : contrat, tranches, différé, remboursements, retards ------------------------------------


def signed_loan(case, *, instructor, committee, student_user, amount="3000", count=10):
    loan = approved_loan(case, instructor=instructor, committee=committee, amount=amount, count=count)
    sign_contract(loan, student_user)
    return loan


def test_contract_amounts_must_match_in_words_and_figures(student_case, student_user, instructor, committee, delegates):
    loan = approved_loan(student_case, instructor=instructor, committee=committee, amount="3000")
    with pytest.raises(BusinessError, match="en lettres ne correspond pas"):
        services.contract_start(
            loan=loan, user=student_user, amount_words="trois cents euros", amount_figures="3000", accepted=True
        )
    with pytest.raises(BusinessError, match="en chiffres ne correspond pas"):
        services.contract_start(
            loan=loan, user=student_user, amount_words="trois mille euros", amount_figures="300", accepted=True
        )
    with pytest.raises(BusinessError, match="engagement sur l'honneur"):
        services.contract_start(
            loan=loan, user=student_user, amount_words="trois mille euros", amount_figures="3000", accepted=False
        )
    with pytest.raises(BusinessError, match="Seul l'emprunteur"):
        services.contract_start(
            loan=loan, user=instructor, amount_words="trois mille euros", amount_figures="3000", accepted=True
        )
    assert not SignableDocument.objects.exists()


def test_contract_is_signed_with_the_signing_engine(
    student_case, student_user, student, instructor, committee, delegates, dev_pki, django_capture_on_commit_callbacks
):
    from soce.lib.signing import services as signing
    from soce.lib.signing.testing import drawn_signature, last_otp_code

    loan = approved_loan(student_case, instructor=instructor, committee=committee, amount="3000")
    contract = services.contract_start(
        loan=loan, user=student_user, amount_words="Trois-mille euros", amount_figures="3 000,00 €", accepted=True
    )
    document = contract.document
    assert "trois mille euros" in document.text_html and "3\u202f000,00" in document.text_html
    party = document.parties.get()
    assert party.identity["statement"] == "Montant recopié par l'emprunteur : 3 000,00 € — « Trois-mille euros »"
    assert party.consent_version == services.CONSENT_VERSION
    loan.refresh_from_db()
    assert loan.status == "offered"  # not before the signature itself
    with pytest.raises(BusinessError, match="code reçu par e-mail"):
        signing.party_sign(party=party, user=student_user, typed_name=student.full_name, place="Bordeaux")
    assert signing.otp_verify(party=party, user=student_user, code=last_otp_code(to=student.email)).ok
    with django_capture_on_commit_callbacks(execute=True):
        signing.party_sign(party=party, user=student_user, signature_data_url=drawn_signature(), place="Bordeaux")
    loan.refresh_from_db()
    contract.refresh_from_db()
    document.refresh_from_db()
    assert loan.status == "signed" and contract.signed_at is not None
    assert document.status == "sealed" and signing.evidence_verify_chain(document=document)
    pdf = signing.document_sealed_pdf(document=document)
    assert pdf[:4] == b"%PDF"
    assert signing.verify_pdf(data=pdf).status == "valid"
    assert audit_for(loan).filter(action="loan.contract_started").exists()


def test_tranches_need_a_second_person_then_the_loan_is_deferred(
    student_case, student_user, instructor, committee, delegates
):
    loan = signed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user)
    first = services.disbursement_prepare(
        loan=loan, by=instructor, amount_eur=Decimal("2000"), account_holder="Élève", iban=VALID_IBAN
    )
    with pytest.raises(BusinessError, match="différente"):
        services.disbursement_validate(disbursement=first, by=instructor)
    with pytest.raises(BusinessError, match="reste à verser"):
        services.disbursement_prepare(
            loan=loan, by=instructor, amount_eur=Decimal("1500"), account_holder="É", iban=VALID_IBAN
        )
    services.disbursement_validate(disbursement=first, by=committee[1])
    services.disbursement_mark_paid(disbursement=first, by=instructor, paid_on=timezone.localdate(), reference="V1")
    loan.refresh_from_db()
    assert loan.status == "disbursing"
    second = services.disbursement_prepare(
        loan=loan, by=committee[1], amount_eur=Decimal("1000"), account_holder="Élève", iban=VALID_IBAN
    )
    services.disbursement_validate(disbursement=second, by=instructor)
    services.disbursement_mark_paid(disbursement=second, by=instructor, paid_on=timezone.localdate(), reference="V2")
    loan.refresh_from_db()
    assert loan.status == "deferred"


def disbursed_loan(case, *, instructor, committee, student_user, count=10):
    loan = signed_loan(case, instructor=instructor, committee=committee, student_user=student_user, count=count)
    tranche = services.disbursement_prepare(
        loan=loan, by=instructor, amount_eur=loan.principal_eur, account_holder="Élève", iban=VALID_IBAN
    )
    services.disbursement_validate(disbursement=tranche, by=committee[1])
    services.disbursement_mark_paid(disbursement=tranche, by=instructor, paid_on=timezone.localdate(), reference="V")
    loan.refresh_from_db()
    return loan


def test_first_due_date_follows_the_graduation_date(
    student_case, student, student_user, instructor, committee, delegates
):
    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user)
    student.graduation_year += 1  # a repeated year
    student.save()
    counts = services.loans_nightly()
    assert counts["recomputed"] == 1
    loan.refresh_from_db()
    assert loan.first_due_on == date(student.graduation_year + 1, 6, 30)
    current = list(loan.instalments.filter(version=loan.schedule_version))
    assert current[0].due_on == loan.first_due_on and sum(i.amount_eur for i in current) == loan.principal_eur
    assert audit_for(loan).filter(action="loan.first_due_recomputed").exists()


def test_a_guarantee_debt_does_not_follow_the_graduation_date(
    student_case, student, student_user, instructor, committee, delegates
):
    from entraide.models import Loan, LoanOrigin

    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user)
    Loan.objects.filter(pk=loan.pk).update(origin=LoanOrigin.GUARANTEE_CALL)
    before = Loan.objects.get(pk=loan.pk).first_due_on
    student.graduation_year += 1
    student.save()
    assert services.loans_nightly()["recomputed"] == 0
    assert Loan.objects.get(pk=loan.pk).first_due_on == before


def test_nightly_starts_repayment_and_buckets_arrears(student_case, student_user, instructor, committee, delegates):
    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user)
    first = loan.first_due_on
    with time_machine.travel(first + timedelta(days=1), tick=False):
        services.loans_nightly()
    loan.refresh_from_db()
    assert loan.status == "repaying" and loan.days_past_due == 1 and loan.arrears_bucket == "none"
    expectations = [(8, "friendly"), (35, "call"), (65, "letter"), (95, "committee")]
    for days, bucket in expectations:
        with time_machine.travel(first + timedelta(days=days), tick=False):
            services.loans_nightly()
        loan.refresh_from_db()
        assert (loan.arrears_bucket, loan.days_past_due) == (bucket, days)
    assert sorted(FollowUp.objects.filter(loan=loan, status="open").values_list("bucket", flat=True)) == [
        "call",
        "committee",
        "friendly",
        "letter",
    ]
    # Paying everything due closes the follow-ups: a human process, no penalty.
    with time_machine.travel(first + timedelta(days=96), tick=False):
        services.repayment_record(
            loan=loan, by=instructor, amount_eur=loan.arrears_eur, received_on=timezone.localdate(), method="transfer"
        )
    loan.refresh_from_db()
    assert loan.arrears_bucket == "none" and loan.arrears_eur == 0
    assert not FollowUp.objects.filter(loan=loan, status="open").exists()


def test_friendly_email_rule(student_case, student, student_user, instructor, committee, delegates):
    from entraide.reminders import arrears_friendly

    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user)
    with time_machine.travel(loan.first_due_on + timedelta(days=10), tick=False):
        services.loans_nightly()
    [recipient] = list(arrears_friendly(None, timezone.localdate()))
    assert recipient.to == student.email and recipient.key.startswith("followup-")


def test_repayments_are_never_edited_but_reversed(student_case, student_user, instructor, committee, delegates):
    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user, count=1)
    with time_machine.travel(loan.first_due_on, tick=False):
        services.loans_nightly()
        with pytest.raises(BusinessError, match="dépasse ce qui reste dû"):
            services.repayment_record(
                loan=loan, by=instructor, amount_eur=Decimal("3500"), received_on=timezone.localdate(), method="cheque"
            )
        payment = services.repayment_record(
            loan=loan, by=instructor, amount_eur=Decimal("3000"), received_on=timezone.localdate(), method="cheque"
        )
    loan.refresh_from_db()
    assert loan.status == "repaid"
    payment.amount_eur = Decimal("1")
    with pytest.raises(ValueError, match="ne se modifie pas"):
        payment.save()
    with pytest.raises(BusinessError, match="n'attend pas de remboursement"):
        services.repayment_record(
            loan=loan, by=instructor, amount_eur=Decimal("1"), received_on=timezone.localdate(), method="cheque"
        )
    reversal = services.repayment_reverse(repayment=payment, by=committee[1], reason="Chèque sans provision")
    assert (reversal.kind, reversal.reverses, reversal.amount_eur) == ("reversal", payment, Decimal("3000.00"))
    loan.refresh_from_db()
    assert loan.status == "repaying"
    assert services.repaid_net(loan) == 0
    with pytest.raises(BusinessError, match="déjà contre-passé"):
        services.repayment_reverse(repayment=payment, by=committee[1], reason="bis")
    assert Repayment.objects.filter(loan=loan).count() == 2


def test_recording_or_reversing_a_repayment_needs_the_right(
    student_case, student_user, instructor, committee, delegates
):
    from django.contrib.auth.models import Group as AuthGroup
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    from soce.lib import roles

    from .conftest import client_for

    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user, count=2)
    with time_machine.travel(loan.first_due_on, tick=False):
        services.loans_nightly()
        payment = services.repayment_record(
            loan=loan, by=instructor, amount_eur=Decimal("100"), received_on=timezone.localdate(), method="cheque"
        )
        right = Permission.objects.get(codename="record_repayment", content_type__app_label="entraide")
        AuthGroup.objects.get(name=roles.ENTRAIDE).permissions.remove(right)
        clerk = type(instructor).objects.get(pk=instructor.pk)  # a fresh permission cache
        with pytest.raises(BusinessError, match="pas le droit d'enregistrer les remboursements"):
            services.repayment_record(
                loan=loan, by=clerk, amount_eur=Decimal("100"), received_on=timezone.localdate(), method="cheque"
            )
        with pytest.raises(BusinessError, match="pas le droit"):
            services.repayment_reverse(repayment=payment, by=clerk, reason="Erreur")
        client = client_for(clerk)
        page = client.get(reverse("entraide:staff_loan", args=[loan.public_id])).content.decode()
        assert "Enregistrer un remboursement" not in page and "Contre-passer" not in page
        action = reverse("entraide:staff_loan_action", args=[loan.public_id, "remboursement"])
        data = {"amount_eur": "100", "received_on": timezone.localdate().isoformat(), "method": "cheque"}
        assert client.post(action, data).status_code == 403
        reverse_url = reverse("entraide:staff_loan_action", args=[loan.public_id, "contre-passer"])
        assert client.post(reverse_url, {"repayment": payment.public_id, "reason": "x"}).status_code == 403
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_measures_need_a_committee_decision_and_a_second_person(
    student_case, student_user, instructor, committee, delegates
):
    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user, count=10)
    session = student_case.session
    with time_machine.travel(loan.first_due_on + timedelta(days=40), tick=False):
        services.loans_nightly()
        services.repayment_record(
            loan=loan, by=instructor, amount_eur=Decimal("300"), received_on=timezone.localdate(), method="transfer"
        )
        planned = services.session_create(held_on=timezone.localdate() + timedelta(days=30), by=committee[0])
        with pytest.raises(BusinessError, match="séance du comité tenue"):
            services.measure_propose(loan=loan, by=committee[1], kind="forgive", session=planned, decision_note="x")
        with pytest.raises(BusinessError, match="membre présent à cette séance"):
            services.measure_propose(loan=loan, by=instructor, kind="forgive", session=session, decision_note="x")
        measure = services.measure_propose(
            loan=loan,
            by=committee[1],
            kind="reschedule",
            session=session,
            decision_note="Étalé sur 20 mois",
            new_instalments_count=20,
            new_first_due_on=timezone.localdate() + timedelta(days=20),
        )
        with pytest.raises(BusinessError, match="différente"):
            services.measure_validate(measure=measure, by=committee[1])
        services.measure_validate(measure=measure, by=instructor)
        loan.refresh_from_db()
        assert (loan.schedule_version, loan.schedule_base_eur, loan.days_past_due) == (2, Decimal("300.00"), 0)
        new = list(loan.instalments.filter(version=2))
        assert len(new) == 20 and sum(i.amount_eur for i in new) == Decimal("2700.00")
        forgive = services.measure_propose(
            loan=loan, by=committee[2], kind="forgive", session=session, decision_note="Remise"
        )
        services.measure_validate(measure=forgive, by=instructor)
    loan.refresh_from_db()
    assert (loan.status, loan.forgiven_eur) == ("forgiven", Decimal("2700.00"))
    student_case.refresh_from_db()
    assert student_case.status == "closed"


def test_a_measure_needs_the_loan_on_that_sessions_agenda_and_its_author_present(
    student_case, student_user, instructor, committee, delegates
):
    from django.urls import reverse

    from .conftest import client_for

    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user, count=10)
    newcomer = entraide_user("nouveau-membre@exemple.fr", entry_year=1990)
    CommitteeSeat.objects.create(user=newcomer)
    with time_machine.travel(loan.first_due_on + timedelta(days=200), tick=False):
        services.loans_nightly()
        loan.refresh_from_db()
        assert loan.arrears_bucket == "committee"
        # Another session, held without this loan: it cannot have decided anything about it.
        other = services.session_create(held_on=timezone.localdate(), by=committee[0])
        assert other.agenda_loans.filter(loan=loan).exists()  # composed with the loans awaiting the committee
        services.session_remove_loan(session=other, loan=loan, by=committee[0])
        services.session_set_attendance(session=other, present_ids={u.pk for u in committee}, by=committee[0])
        services.session_open(session=other, by=committee[0])
        with pytest.raises(BusinessError, match="pas à l'ordre du jour de cette séance"):
            services.measure_propose(loan=loan, by=committee[1], kind="write_off", session=other, decision_note="x")
        url = reverse("entraide:staff_loan", args=[loan.public_id])
        assert client_for(newcomer).get(url).status_code == 404  # not in the case's circle
        # The loan goes on the next session's agenda; the newcomer sits on it.
        review = services.session_create(held_on=timezone.localdate() + timedelta(days=1), by=committee[0])
        services.session_add_loan(session=review, loan=loan, by=committee[0])  # already there: no change
        assert review.agenda_loans.get().loan == loan
        services.recusal_add(session=review, case=student_case, user=committee[3], by=committee[0], reason="Parent")
        present = {newcomer.pk, committee[0].pk, committee[2].pk, committee[3].pk}
        services.session_set_attendance(session=review, present_ids=present, by=committee[0])
        services.session_open(session=review, by=committee[0])
        assert client_for(newcomer).get(url).status_code == 200
        with pytest.raises(BusinessError, match="membre présent à cette séance"):
            services.measure_propose(loan=loan, by=committee[1], kind="forgive", session=review, decision_note="x")
        with pytest.raises(BusinessError, match="récusé"):
            services.measure_propose(loan=loan, by=committee[3], kind="forgive", session=review, decision_note="x")
        measure = services.measure_propose(
            loan=loan, by=newcomer, kind="forgive", session=review, decision_note="Remise du solde"
        )
        with pytest.raises(BusinessError, match="différente"):
            services.measure_validate(measure=measure, by=newcomer)
        services.measure_validate(measure=measure, by=instructor)
    loan.refresh_from_db()
    assert loan.status == "forgiven"


def test_write_off_then_recovery(student_case, student_user, instructor, committee, delegates):
    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user, count=2)
    with time_machine.travel(loan.first_due_on + timedelta(days=100), tick=False):
        services.loans_nightly()
        measure = services.measure_propose(
            loan=loan, by=committee[1], kind="write_off", session=student_case.session, decision_note="Irrécouvrable"
        )
        services.measure_validate(measure=measure, by=instructor)
        loan.refresh_from_db()
        assert (loan.status, loan.written_off_eur) == ("written_off", Decimal("3000.00"))
        recovery = services.repayment_record(
            loan=loan, by=instructor, amount_eur=Decimal("500"), received_on=timezone.localdate(), method="transfer"
        )
    assert recovery.is_recovery


# --- Cautions ------------------------------------------------------------------------------------


def test_guarantee_called_paid_then_receivable(student_case, instructor, committee, delegates):
    to_session(student_case, instructor=instructor, committee=committee)
    services.case_decide(
        case=student_case, by=committee[1], outcome="approved", kind="guarantee", amount_eur=Decimal("4000")
    )
    today = timezone.localdate()
    guarantee = services.guarantee_register(
        case=student_case,
        by=instructor,
        bank="Banque Populaire",
        loan_reference="PR-2027-44",
        loan_amount_eur=Decimal("10000"),
        share_percent=Decimal("50"),
        ceiling_eur=Decimal("4000"),
        starts_on=today,
        ends_on=today + timedelta(days=3 * 365),
    )
    assert guarantee.guaranteed_eur == Decimal("4000.00")
    services.statement_record(
        guarantee=guarantee, by=instructor, year=today.year, outstanding_eur=Decimal("9000"), received_on=today
    )
    with pytest.raises(BusinessError, match="dépasse le montant garanti"):
        services.guarantee_call(guarantee=guarantee, by=instructor, called_on=today, called_eur=Decimal("5000"))
    services.guarantee_call(guarantee=guarantee, by=instructor, called_on=today, called_eur=Decimal("2400"))
    with pytest.raises(BusinessError, match="différente"):
        services.guarantee_pay(
            guarantee=guarantee, by=instructor, paid_on=today, reference="P", instalments_count=12, first_due_on=today
        )
    services.guarantee_pay(
        guarantee=guarantee,
        by=committee[1],
        paid_on=today,
        reference="P",
        instalments_count=12,
        first_due_on=today + timedelta(days=30),
    )
    receivable = guarantee.receivable
    assert (receivable.origin, receivable.principal_eur, receivable.status) == (
        "guarantee_call",
        Decimal("2400.00"),
        "deferred",
    )
    assert sum(i.amount_eur for i in receivable.instalments.all()) == Decimal("2400.00")


# --- Anonymisation -------------------------------------------------------------------------------


def test_closed_cases_are_anonymised_after_retention_keeping_aggregates(db, instructor, committee):
    case = grant_case(instructor, committee)
    grant = services.grant_prepare(
        case=case, by=instructor, amount_eur=Decimal("1000"), account_holder="Jean X", iban=VALID_IBAN
    )
    services.grant_validate(grant=grant, by=committee[1])
    services.grant_mark_paid(grant=grant, by=instructor, paid_on=timezone.localdate(), reference="VIR")
    services.document_add(case=case, uploaded=upload(), by=instructor)
    assert services.cases_anonymise_expired() == 0  # still within the retention period
    with time_machine.travel(timezone.now() + timedelta(days=11 * 366), tick=False):
        assert services.cases_anonymise_expired() == 1
    case.refresh_from_db()
    grant.refresh_from_db()
    assert case.anonymised_at and case.situation == "" and not case.documents.exists()
    assert case.beneficiary.member is None and case.beneficiary.display_name == "Bénéficiaire anonymisé"
    assert (grant.iban, grant.account_holder, grant.amount_eur) == ("", "Anonymisé", Decimal("1000.00"))
    assert (case.amount_granted_eur, case.campus_code, case.kind_requested) == (Decimal("1000.00"), "Bo", "grant")


def test_a_case_anonymised_while_another_is_open_no_longer_leads_to_the_person(db, instructor, committee):
    import io

    from pypdf import PdfReader

    from entraide.models import Grant
    from soce.lib import metrics
    from soce.lib.models import AuditEvent

    case = grant_case(instructor, committee)
    person = case.beneficiary.member
    user = person.user
    services.case_read_log(case=case, user=user, what="portail")
    first = services.grant_prepare(
        case=case, by=instructor, amount_eur=Decimal("1000"), account_holder=person.full_name, iban=VALID_IBAN
    )
    services.grant_cancel(grant=first, by=instructor, reason=f"{person.last_name} a changé de banque")
    grant = services.grant_prepare(
        case=case, by=instructor, amount_eur=Decimal("1000"), account_holder=person.full_name, iban=VALID_IBAN
    )
    services.grant_validate(grant=grant, by=committee[1])
    services.grant_mark_paid(grant=grant, by=instructor, paid_on=timezone.localdate(), reference="VIR")
    services.session_close(session=case.session, by=committee[0])
    case.refresh_from_db()
    assert case.status == "closed"
    later = file_case(user, person, kind="grant", amount="400", purpose="health", files=[])  # still open
    assert later.beneficiary_id == case.beneficiary_id
    # Four other people helped the same year, so that the Bureau's breakdown shows its group.
    today = timezone.localdate()
    for i in range(4):
        _user, other = member_user(f"autre{i}@exemple.fr")
        beneficiary = Beneficiary.objects.create(kind="member", member=other)
        other_case = AidCase.objects.create(
            beneficiary=beneficiary,
            kind_requested="grant",
            purpose="health",
            amount_requested_eur=Decimal("500"),
            status="closed",
            beneficiary_kind="member",
        )
        Grant.objects.create(
            case=other_case,
            amount_eur=Decimal("500"),
            status="closed",
            account_holder="X",
            iban=VALID_IBAN,
            prepared_by=instructor,
            paid_on=today,
        )
    year = (date(today.year, 1, 1), date(today.year, 12, 31))
    granted = metrics.get("entraide.granted_eur")

    def figures():
        return granted.func(*year), {name: breakdown(*year) for name, breakdown in granted.breakdowns.items()}

    before = figures()
    assert before[0] == Decimal("3000.00") and before[1]["kind"]
    emails = OutgoingEmail.objects.filter(related_id=str(case.pk), template__startswith="entraide/case_")
    assert emails.filter(to=person.contact_email).exists()

    services.case_anonymise(case=case, by=None)

    case.refresh_from_db()
    later.refresh_from_db()
    snapshot = case.beneficiary
    assert snapshot.pk != later.beneficiary_id and later.beneficiary.member == person  # the open case is untouched
    assert (snapshot.member_id, snapshot.first_name, snapshot.last_name, snapshot.email) == (None, "", "", "")
    assert snapshot.display_name == "Bénéficiaire anonymisé" and snapshot.kind == case.beneficiary_kind
    assert case.filed_by_id is None
    assert figures() == before  # the Bureau's aggregates come out the same
    # The outbox keeps that messages left, not to whom nor what they said.
    assert emails.exists() and not emails.filter(to=person.contact_email).exists()
    assert set(emails.values_list("subject", "body_text", "body_html")) == {("[anonymisé]", "", "")}
    assert OutgoingEmail.objects.filter(related_id=str(later.pk), to=person.contact_email).exists()
    # The audit trail keeps the actions, without free text and without the person's account.
    trail = audit_for(case)
    assert not trail.filter(actor=user).exists() and trail.filter(actor_repr="Demandeur (anonymisé)").exists()
    assert not AuditEvent.objects.filter(note__contains=person.last_name).exists()
    assert not trail.exclude(note="").exists()
    # The minutes of the session are written again without the name.
    case.session.refresh_from_db()
    minutes = case.session.minutes_pdf.open("rb").read()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(minutes)).pages)
    assert person.last_name not in text and case.reference in text


# --- Indicateurs du Bureau -------------------------------------------------------------------------


def test_metrics_are_registered_and_anonymous(student_case, student_user, instructor, committee, delegates):
    from soce.lib import metrics

    codes = {m.code for m in metrics.all_metrics()}
    assert {
        "entraide.granted_eur",
        "entraide.lent_eur",
        "entraide.outstanding_eur",
        "entraide.repayment_rate",
        "entraide.cases_in_arrears",
    } <= codes
    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user)
    today = timezone.localdate()
    year = (date(today.year, 1, 1), date(today.year, 12, 31))
    assert metrics.get("entraide.lent_eur").func(*year) == Decimal("3000.00")
    assert metrics.get("entraide.outstanding_eur").func(*year) == Decimal("3000.00")
    # One borrower only: the group comes with its head count (1), and the Bureau's dashboard hides it.
    assert [g.people for g in metrics.get("entraide.lent_eur").breakdowns["campus"](*year).values()] == [1]
    later = loan.first_due_on + timedelta(days=20)
    assert metrics.get("entraide.cases_in_arrears").func(later, later) == 1
    assert metrics.get("entraide.repayment_rate").func(later, later) == Decimal("0.0")


def test_breakdowns_show_groups_of_five_or_more(db, instructor, committee):
    from soce.lib import metrics

    for i in range(5):
        user, member = member_user(f"camarade{i}@exemple.fr", entry_year=1990 + i)
        case = file_case(user, member, kind="grant", amount="500", purpose="health", files=[])
        to_session(case, instructor=instructor, committee=committee)
        services.case_decide(case=case, by=committee[1], outcome="approved", kind="grant", amount_eur=Decimal("500"))
        grant = services.grant_prepare(
            case=case, by=instructor, amount_eur=Decimal("500"), account_holder="X", iban=VALID_IBAN
        )
        services.grant_validate(grant=grant, by=committee[1])
        services.grant_mark_paid(grant=grant, by=instructor, paid_on=timezone.localdate(), reference="V")
    today = timezone.localdate()
    metric = metrics.get("entraide.granted_eur")
    assert metric.func(today, today) == Decimal("2500.00")
    assert metric.breakdowns["campus"](today, today) == {"Bo": metrics.Group(Decimal("2500.00"), 5)}
    assert metric.breakdowns["promo_decade"](today, today) == {"promos 1990-1999": metrics.Group(Decimal("2500.00"), 5)}


def test_seats_define_the_chair(committee):
    assert services.current_chair_ids() == {committee[0].pk}
    yesterday = timezone.localdate() - timedelta(days=1)
    CommitteeSeat.objects.filter(user=committee[0]).update(starts_on=yesterday - timedelta(days=300), ends_on=yesterday)
    assert services.current_chair_ids() == set()


def test_periodic_tasks_are_registered_and_idempotent(db):
    from entraide import tasks
    from soce.lib.reminders.models import Step
    from soce.schedule import PERIODIC_TASKS

    assert PERIODIC_TASKS["entraide-nightly"][0] == "entraide.tasks.loans_nightly"
    assert PERIODIC_TASKS["entraide-anonymise"][0] == "entraide.tasks.cases_anonymise_expired"
    for _ in range(2):
        assert tasks.loans_nightly.apply().get() == {"recomputed": 0, "refreshed": 0}
    assert set(Step.objects.values_list("code", flat=True)) >= {"entraide-opinions-due", "entraide-arrears-friendly"}
    assert Step.objects.filter(code__startswith="entraide-").count() == 2
    assert tasks.cases_anonymise_expired.apply().get() == 0
