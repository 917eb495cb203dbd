"""Pages : qui voit quoi (404 hors du cercle), lectures journalisées, dépôt au portail, budgets de requêtes,
et le parcours 5 (« un élève demande de l'aide ») au client de test."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.test import Client
from django.urls import reverse

from conftest import staff_user_with
from entraide import selectors, services
from entraide.models import AidCase, Opinion
from members.models import Member
from soce.lib import roles
from soce.lib.models import AuditEvent
from soce.lib.signing.testing import drawn_signature, last_otp_code

from .conftest import (
    VALID_IBAN,
    approved_loan,
    client_for,
    entraide_user,
    file_case,
    member_user,
    pdf_bytes,
    to_session,
    upload,
)

pytestmark = pytest.mark.django_db


def reads(case):
    return AuditEvent.objects.filter(action="case.read", object_id=str(case.pk))


# --- Matrice d'accès ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/entraide/", "/entraide/demande/", "/entraide/gestion/"])
def test_anonymous_goes_to_login(anon, url):
    response = anon.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_access_matrix(member_client, instructor):
    bureau = client_for(staff_user_with(roles.BUREAU, "bureau@exemple.fr"))
    secretariat = client_for(staff_user_with(roles.SECRETARIAT, "secretariat@exemple.fr"))
    entraide = client_for(instructor)
    for client, portal, staff in [
        (member_client, 200, 404),
        (bureau, 200, 404),
        (secretariat, 200, 404),
        (entraide, 200, 200),
    ]:
        assert client.get("/entraide/").status_code == portal
        assert client.get("/entraide/demande/").status_code == portal
        assert client.get("/entraide/gestion/").status_code == staff
        assert client.get("/entraide/gestion/dossiers/").status_code == staff


def test_the_bureau_role_holds_no_entraide_permission(db):
    codenames = AuthGroup.objects.get(name=roles.BUREAU).permissions.filter(content_type__app_label="entraide")
    assert not codenames.exists()


def test_staff_pages_need_the_second_factor(instructor):
    client = Client()
    client.force_login(instructor)
    response = client.get("/entraide/gestion/")
    assert response.status_code == 302 and "reauthenticate" in response["Location"]


# --- Confidentialité : cercle du dossier, lectures journalisées -----------------------------------


def test_case_is_404_outside_its_circle_and_every_read_is_logged(
    student_case, student_user, instructor, outsider, committee
):
    url = reverse("entraide:staff_case", args=[student_case.public_id])
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(committee[1]).get(url).status_code == 404  # not yet on a session
    stranger = Client()
    stranger.force_login(member_user("curieux@exemple.fr")[0])
    assert stranger.get(reverse("entraide:case", args=[student_case.public_id])).status_code == 404
    # The beneficiary never reaches the staff page, only their own portal page.
    owner = Client()
    owner.force_login(student_user)
    assert owner.get(url).status_code == 404
    assert owner.get(reverse("entraide:case", args=[student_case.public_id])).status_code == 200

    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    response = client_for(instructor).get(url)
    assert response.status_code == 200
    assert student_case.beneficiary.member.full_name in response.content.decode()
    assert reads(student_case).filter(actor=instructor, data__page="dossier").count() == 1
    assert reads(student_case).filter(actor=student_user, data__page="portail").count() == 1
    assert not reads(student_case).filter(actor=outsider).exists()

    log = client_for(instructor).get(reverse("entraide:staff_case_access", args=[student_case.public_id]))
    assert log.status_code == 200
    assert str(instructor) in log.content.decode()
    assert (
        client_for(outsider).get(reverse("entraide:staff_case_access", args=[student_case.public_id])).status_code
        == 404
    )


def test_session_members_join_the_circle_except_the_recused(student_case, instructor, committee, outsider):
    session = to_session(student_case, instructor=instructor, committee=committee)
    services.recusal_add(session=session, case=student_case, user=committee[3], by=committee[0], reason="Voisin")
    url = reverse("entraide:staff_case", args=[student_case.public_id])
    assert client_for(committee[1]).get(url).status_code == 200
    assert client_for(committee[3]).get(url).status_code == 404
    page = client_for(committee[3]).get(reverse("entraide:staff_session", args=[session.public_id])).content.decode()
    assert "vous êtes récusé" in page
    assert student_case.beneficiary.member.full_name not in page
    assert client_for(outsider).get(reverse("entraide:staff_session", args=[session.public_id])).status_code == 200
    # A session page lists names: a read of each case it showed, in « who opened this file ».
    client_for(committee[1]).get(reverse("entraide:staff_session", args=[session.public_id]))
    logged = reads(student_case).filter(actor=committee[1], data__page="séance").get()
    assert logged.data == {"page": "séance", "list": True}
    assert not reads(student_case).filter(actor=committee[3], data__page="séance").exists()  # saw no name


def test_documents_are_served_only_through_the_checked_view(student_case, student_user, instructor, outsider):
    document = student_case.documents.get()
    assert not document.file.name.endswith("devis.pdf")  # never the uploaded name on disk
    url = reverse("entraide:document", args=[document.public_id])
    assert client_for(outsider).get(url).status_code == 404
    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    response = client_for(instructor).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert reads(student_case).filter(actor=instructor, data__page="pièce").exists()
    owner = Client()
    owner.force_login(student_user)
    assert owner.get(url).status_code == 200


def test_private_storage_is_outside_the_media_root(student_case, settings, anon, member_client):
    document = student_case.documents.get()
    path = document.file.path
    assert not path.startswith(str(settings.MEDIA_ROOT))
    assert member_client.get(f"{settings.MEDIA_URL}{document.file.name}").status_code == 404


# --- Portail -------------------------------------------------------------------------------------


def test_member_files_a_request_with_documents(student_user, student, delegates):
    client = Client()
    client.force_login(student_user)
    response = client.post(
        "/entraide/demande/",
        {
            "for_whom": "self",
            "kind_requested": "loan",
            "purpose": "mobility",
            "amount_requested_eur": "3000",
            "situation": "Semestre à l'étranger.",
            "documents": [upload("devis.pdf"), upload("photo.pdf")],
            "send": "1",
        },
        follow=True,
    )
    case = AidCase.objects.get()
    assert response.redirect_chain[-1][0] == reverse("entraide:case", args=[case.public_id])
    assert case.status == "submitted" and case.documents.count() == 2
    html = response.content.decode()
    assert "Reçue" in html and "Votre demande est envoyée" in html


def test_portal_refuses_a_renamed_executable(student_user):
    client = Client()
    client.force_login(student_user)
    response = client.post(
        "/entraide/demande/",
        {
            "for_whom": "self",
            "kind_requested": "grant",
            "purpose": "hardship",
            "amount_requested_eur": "300",
            "situation": "…",
            "documents": [upload("releve.pdf", b"MZ\x90\x00" + b"\x00" * 64)],
        },
    )
    assert response.status_code == 200
    assert "Seuls les PDF et les images" in response.content.decode()
    assert not AidCase.objects.exists()


def test_member_without_a_record_is_told_what_to_do(db):
    from members.tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(email="sansfiche@exemple.fr"))
    assert "pas encore relié" in client.get("/entraide/demande/").content.decode()


def test_opinion_page_only_for_the_person_asked(student_case, instructor, delegates):
    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    opinion = Opinion.objects.get(case=student_case, role="promo_delegate")
    url = reverse("entraide:opinion", args=[opinion.public_id])
    other = Client()
    other.force_login(delegates["campus_delegate"].user)
    assert other.get(url).status_code == 404
    delegate = Client()
    delegate.force_login(delegates["promo_delegate"].user)
    assert delegate.get(url).status_code == 200
    delegate.post(url, {"verdict": "favourable", "text": "Élève sérieux."})
    opinion.refresh_from_db()
    assert (opinion.status, opinion.verdict) == ("given", "favourable")


# --- Budgets de requêtes des listes --------------------------------------------------------------


def test_case_list_query_count_is_constant(student_user, student, instructor, delegates, django_assert_num_queries):
    for _ in range(3):
        services.case_assign(case=file_case(student_user, student, files=[]), instructor=instructor, by=instructor)
    client = client_for(instructor)
    url = reverse("entraide:staff_cases")
    client.get(url)  # warm the session and content-type caches

    # session, user, user perms, group perms, TOTP authenticator, urgent role (member, national offices),
    # count, the page's keys, the page's cases (+beneficiary, member, campus, instructor, session),
    # audit INSERT naming the page
    with django_assert_num_queries(11) as captured:
        client.get(url)
    baseline = len(captured.captured_queries)
    for _ in range(3):
        services.case_assign(case=file_case(student_user, student, files=[]), instructor=instructor, by=instructor)
    with django_assert_num_queries(baseline):
        client.get(url)


def test_loan_list_and_portal_home_query_counts_are_constant(
    student_case, student_user, student, instructor, committee, delegates, django_assert_num_queries
):
    approved_loan(student_case, instructor=instructor, committee=committee, amount="1000")
    staff = client_for(instructor)
    owner = Client()
    owner.force_login(student_user)
    staff.get(reverse("entraide:staff_loans"))
    owner.get("/entraide/")

    # session, user, user perms, group perms, TOTP authenticator, urgent role (member, national offices),
    # count, page of loans (+case, borrower, member, campus), audit INSERT naming the page
    with django_assert_num_queries(10) as staff_captured:
        staff.get(reverse("entraide:staff_loans"))
    # session, user, my cases (+beneficiary, member), my loans, opinions asked of me, nav perms (user, group)
    with django_assert_num_queries(7) as portal_captured:
        owner.get("/entraide/")
    # session, user, user perms, group perms, TOTP authenticator, urgent role (member, national offices),
    # grants (+case, borrower, member, preparer, validator), tranches (+loan, case, borrower, member, preparer,
    # validator), grants awaiting a proof (nothing waits: no read to log)
    with django_assert_num_queries(10):
        staff.get(reverse("entraide:staff_payments"))
    second = file_case(student_user, student, amount="1000", files=[])
    approved_loan(second, instructor=instructor, committee=committee, amount="1000")
    with django_assert_num_queries(len(staff_captured.captured_queries)):
        staff.get(reverse("entraide:staff_loans"))
    with django_assert_num_queries(len(portal_captured.captured_queries)):
        owner.get("/entraide/")


# --- Parcours 5 au client de test -----------------------------------------------------------------


def test_journey_student_asks_for_help(student_user, student, delegates, instructor, committee, mailoutbox):
    student_client = Client()
    student_client.force_login(student_user)
    student_client.post(
        "/entraide/demande/",
        {
            "for_whom": "self",
            "kind_requested": "loan",
            "purpose": "mobility",
            "amount_requested_eur": "3000",
            "situation": "Semestre à Montréal.",
            "documents": [upload()],
            "send": "1",
        },
    )
    case = AidCase.objects.get()
    staff = client_for(instructor)
    staff.post(reverse("entraide:staff_triage", args=[case.public_id]), {"instructor": instructor.pk}, follow=True)
    case.refresh_from_db()
    assert case.status == "opinions" and case.opinions.count() == 3
    for opinion in case.opinions.all():
        delegate = Client()
        delegate.force_login(opinion.requested_from.user)
        delegate.post(reverse("entraide:opinion", args=[opinion.public_id]), {"verdict": "favourable", "text": ""})
    staff.post(reverse("entraide:staff_case_action", args=[case.public_id, "pret-pour-comite"]), {"note": ""})
    chair = client_for(committee[0])
    response = chair.post(reverse("entraide:staff_sessions"), {"held_on": date.today().isoformat(), "place": "Paris"})
    session_url = response["Location"]
    ref = session_url.rstrip("/").split("/")[-1]
    case.refresh_from_db()
    assert str(case.session.public_id) == ref  # the agenda is built from the cases ready for committee
    chair.post(f"{session_url}presences/", {"present": [str(u.pk) for u in committee]})
    chair.post(f"{session_url}ouvrir/")
    member = client_for(committee[1])
    page = member.get(session_url).content.decode()
    assert student.full_name in page
    case.refresh_from_db()
    member.post(
        f"{session_url}decider/",
        {
            "case": case.public_id,
            f"c{case.pk}-outcome": "approved",
            f"c{case.pk}-kind": "loan",
            f"c{case.pk}-amount_eur": "3000",
            f"c{case.pk}-instalments_count": "30",
        },
    )
    case.refresh_from_db()
    assert case.status == "approved"
    loan = case.loans.get()
    contract_url = reverse("entraide:contract", args=[loan.public_id])
    wrong = student_client.post(
        contract_url, {"amount_figures": "3000", "amount_words": "trois cents euros", "accepted": "on"}
    )
    assert "en lettres ne correspond pas" in wrong.content.decode()
    started = student_client.post(
        contract_url, {"amount_figures": "3 000", "amount_words": "trois mille euros", "accepted": "on"}, follow=True
    )
    assert "Code reçu par e-mail" in started.content.decode()
    step = reverse("entraide:contract_step", args=[loan.public_id])
    student_client.post(
        reverse("entraide:contract_code", args=[loan.public_id]), {"code": last_otp_code(student.email)}
    )
    assert "Votre signature" in student_client.get(step).content.decode()
    student_client.post(
        reverse("entraide:contract_sign", args=[loan.public_id]),
        {"signature": drawn_signature(), "typed_name": "", "place": "Bordeaux"},
    )
    loan.refresh_from_db()
    assert loan.status == "signed"
    staff.post(
        reverse("entraide:staff_loan_action", args=[loan.public_id, "tranche"]),
        {"amount_eur": "3000", "account_holder": student.full_name, "iban": VALID_IBAN},
    )
    tranche = loan.disbursements.get()
    own = staff.post(
        reverse("entraide:staff_payment_action", args=["tranche", tranche.public_id, "valider"]), follow=True
    )
    assert "différente de celle qui a préparé" in own.content.decode()
    member.post(reverse("entraide:staff_payment_action", args=["tranche", tranche.public_id, "valider"]))
    staff.post(
        reverse("entraide:staff_payment_action", args=["tranche", tranche.public_id, "paye"]),
        {"paid_on": date.today().isoformat(), "reference": "VIR-42"},
    )
    loan.refresh_from_db()
    assert loan.status == "deferred"
    schedule = student_client.get(reverse("entraide:loan", args=[loan.public_id])).content.decode()
    first_due = date(student.graduation_year + 1, 6, 30)
    assert first_due.strftime("%d/%m/%Y") in schedule
    assert "Remboursement différé" in schedule
    minutes = chair.get(reverse("entraide:staff_session_minutes", args=[ref]))
    assert minutes.status_code == 200 and minutes.content[:4] == b"%PDF"
    assert loan.principal_eur == Decimal("3000")


# --- Pages du service : chacune s'affiche ----------------------------------------------------------


def test_staff_pages_render(student_case, student_user, instructor, committee, delegates):
    loan = approved_loan(student_case, instructor=instructor, committee=committee, amount="1000")
    client = client_for(instructor)
    for name, args in [
        ("entraide:staff_home", []),
        ("entraide:staff_cases", []),
        ("entraide:staff_sessions", []),
        ("entraide:staff_payments", []),
        ("entraide:staff_loans", []),
        ("entraide:staff_guarantees", []),
        ("entraide:staff_case", [student_case.public_id]),
        ("entraide:staff_loan", [loan.public_id]),
    ]:
        response = client.get(reverse(name, args=args) + ("?retard=1" if name == "entraide:staff_loans" else ""))
        assert response.status_code == 200, name
    owner = Client()
    owner.force_login(student_user)
    for url in [
        "/entraide/",
        reverse("entraide:loan", args=[loan.public_id]),
        reverse("entraide:contract", args=[loan.public_id]),
    ]:
        assert owner.get(url).status_code == 200, url


def test_entraide_nav_item_only_for_the_group(member_client, instructor):
    assert "Service entraide" not in member_client.get("/entraide/").content.decode()
    assert "Service entraide" in client_for(instructor).get("/entraide/").content.decode()


def test_another_entraide_user_cannot_take_someone_elses_case_without_the_right(student_case, instructor, outsider):
    from django.contrib.auth.models import Permission

    entraide = AuthGroup.objects.get(name=roles.ENTRAIDE)
    entraide.permissions.remove(Permission.objects.get(codename="assign_aidcase"))
    fresh = entraide_user("nouveau@exemple.fr", entry_year=1981)
    client = client_for(fresh)
    client.post(reverse("entraide:staff_triage", args=[student_case.public_id]), {"instructor": outsider.pk})
    student_case.refresh_from_db()
    assert student_case.instructor is None
    client.post(reverse("entraide:staff_triage", args=[student_case.public_id]), {"instructor": fresh.pk})
    student_case.refresh_from_db()
    assert student_case.instructor == fresh


def test_the_entraide_group_sets_the_parameters_in_the_admin(instructor):
    services.settings_get()
    client = client_for(instructor)
    for url in [
        "/admin/entraide/entraidesettings/1/change/",
        "/admin/entraide/envelope/",
        "/admin/entraide/committeeseat/",
    ]:
        assert client.get(url).status_code == 200, url
    bureau = client_for(staff_user_with(roles.BUREAU, "bureau@exemple.fr"))
    assert bureau.get("/admin/entraide/entraidesettings/1/change/").status_code in (302, 403)


def test_only_delegates_and_officers_see_the_relay_option(member_client):
    html = member_client.get("/entraide/demande/").content.decode()
    assert "Pour moi" in html and "en relais" not in html


def test_back_office_forms_drive_the_services(student_case, student_user, instructor, committee, delegates):
    """Every back-office form posts to its service (grants, guarantees, loans), four eyes included."""
    import time_machine
    from django.utils import timezone

    staff, other = client_for(instructor), client_for(committee[1])
    today = timezone.localdate().isoformat()
    # A grant: prepared, validated by another person, paid, proof received.
    user, member = member_user("camarade@exemple.fr")
    grant_case = file_case(user, member, kind="grant", amount="700", purpose="health", files=[])
    to_session(grant_case, instructor=instructor, committee=committee)
    services.case_decide(case=grant_case, by=committee[1], outcome="approved", kind="grant", amount_eur=Decimal("700"))
    case_action = lambda case, action: reverse("entraide:staff_case_action", args=[case.public_id, action])  # noqa: E731
    staff.post(
        case_action(grant_case, "secours"),
        {"amount_eur": "700", "account_holder": member.full_name, "iban": VALID_IBAN, "proof_required": "on"},
    )
    grant = grant_case.grants.get()
    pay = lambda client, kind, item, action, data=None: client.post(  # noqa: E731
        reverse("entraide:staff_payment_action", args=[kind, item.public_id, action]), data or {}
    )
    pay(other, "secours", grant, "valider")
    pay(staff, "secours", grant, "paye", {"paid_on": today, "reference": "VIR-7"})
    pay(staff, "secours", grant, "justificatif")
    grant.refresh_from_db()
    assert (grant.status, grant.validated_by) == ("closed", committee[1])

    # A guarantee: registered, called, paid by another person, statement recorded.
    to_session(student_case, instructor=instructor, committee=committee)
    services.case_decide(
        case=student_case, by=committee[1], outcome="approved", kind="guarantee", amount_eur=Decimal("4000")
    )
    staff.post(
        case_action(student_case, "caution"),
        {
            "bank": "LCL",
            "loan_reference": "PE-1",
            "loan_amount_eur": "8000",
            "share_percent": "50",
            "ceiling_eur": "4000",
            "starts_on": today,
            "ends_on": "2031-01-01",
        },
    )
    guarantee = student_case.guarantees.get()
    g_action = lambda client, action, data=None: client.post(  # noqa: E731
        reverse("entraide:staff_guarantee_action", args=[guarantee.public_id, action]), data or {}
    )
    g_action(staff, "releve", {"year": "2026", "outstanding_eur": "7000", "received_on": today})
    g_action(staff, "appel", {"called_on": today, "called_eur": "1200"})
    g_action(staff, "paiement", {"paid_on": today, "reference": "P", "instalments_count": "6", "first_due_on": today})
    guarantee.refresh_from_db()
    assert guarantee.status == "called"  # the person who recorded the call cannot pay
    g_action(other, "paiement", {"paid_on": today, "reference": "P", "instalments_count": "6", "first_due_on": today})
    guarantee.refresh_from_db()
    assert guarantee.status == "paid" and guarantee.statements.count() == 1
    assert (
        client_for(instructor).get(reverse("entraide:staff_guarantee", args=[guarantee.public_id])).status_code == 200
    )

    # The receivable: a repayment, its reversal, a rescheduling decided in session and validated by another.
    loan = guarantee.receivable
    l_action = lambda client, action, data=None: client.post(  # noqa: E731
        reverse("entraide:staff_loan_action", args=[loan.public_id, action]), data or {}
    )
    with time_machine.travel(loan.first_due_on + timedelta(days=40), tick=False):
        services.loans_nightly()
        day = timezone.localdate().isoformat()
        staff, other = client_for(instructor), client_for(committee[1])  # sessions last 12 hours
        l_action(staff, "remboursement", {"amount_eur": "200", "received_on": day, "method": "transfer"})
        payment = loan.repayments.get()
        l_action(staff, "contre-passer", {"repayment": payment.public_id, "reason": "Rejet bancaire"})
        followup = loan.follow_ups.filter(status="open").first()
        l_action(staff, "suivi", {"followup": followup.pk, "outcome": "Appelé : il reprend en janvier."})
        l_action(
            other,
            "mesure",
            {
                "kind": "reschedule",
                "session": student_case.session.pk,
                "decision_note": "Étalé sur 12 mois",
                "new_instalments_count": "12",
                "new_first_due_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
            },
        )
        measure = loan.measures.get()
        l_action(other, "valider-mesure", {"measure": measure.public_id})
        measure.refresh_from_db()
        assert measure.status == "proposed"  # same person: refused
        l_action(staff, "valider-mesure", {"measure": measure.public_id})
        l_action(staff, "recalculer")
    loan.refresh_from_db()
    assert loan.schedule_version == 2 and loan.repayments.count() == 2
    assert followup.__class__.objects.get(pk=followup.pk).status != "open"
    page = client_for(instructor).get(reverse("entraide:staff_loan", args=[loan.public_id]))
    assert page.status_code == 200 and "Contre-passation" in page.content.decode()


# --- Procès-verbal : la copie d'un membre récusé ------------------------------------------------


def pdf_text(response) -> str:
    import io

    from pypdf import PdfReader

    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content[:4] == b"%PDF"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_recused_member_gets_minutes_without_the_cases_they_were_recused_from(
    student_case, student, instructor, committee
):
    # A name no random committee member can bear: the minutes list who sat, in every copy.
    Member.objects.filter(pk=student.pk).update(last_name="Zerbinatti")
    student.refresh_from_db()
    user, member = member_user("voisin-aide@exemple.fr")
    other_case = file_case(user, member, kind="grant", amount="600", purpose="health", files=[])
    services.case_assign(case=other_case, instructor=instructor, by=instructor)
    services.case_mark_ready(case=other_case, by=instructor)
    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    from .conftest import answer_opinions

    answer_opinions(student_case)
    services.case_mark_ready(case=student_case, by=instructor)
    session = services.session_create(held_on=date.today(), by=committee[0])
    for case in (student_case, other_case):
        services.session_add_case(session=session, case=case, by=committee[0])
    services.recusal_add(session=session, case=student_case, user=committee[3], by=committee[0], reason="Voisin")
    services.session_set_attendance(session=session, present_ids={u.pk for u in committee}, by=committee[0])
    services.session_open(session=session, by=committee[0])
    student_case.refresh_from_db()
    other_case.refresh_from_db()
    services.case_decide(
        case=student_case,
        by=committee[1],
        outcome="approved",
        kind="loan",
        amount_eur=Decimal("2500"),
        conditions="Conditions confidentielles",
        instalments_count=10,
    )
    services.case_decide(case=other_case, by=committee[3], outcome="approved", kind="grant", amount_eur=Decimal("600"))
    url = reverse("entraide:staff_session_minutes", args=[session.public_id])

    text = pdf_text(client_for(committee[3]).get(url))  # the draft, before the session closes
    assert student.last_name not in text and "Conditions confidentielles" not in text and "Voisin" not in text
    assert student_case.reference in text and "récusé" in text
    assert member.last_name in text  # the cases they sat on are all there

    services.session_close(session=session, by=committee[0])
    full = pdf_text(client_for(committee[1]).get(url))
    assert student.last_name in full and "Conditions confidentielles" in full and member.last_name in full
    assert "500,00" in full
    text = pdf_text(client_for(committee[3]).get(url))
    assert student.last_name not in text and "500,00" not in text and "Conditions confidentielles" not in text
    assert student_case.reference in text and member.last_name in text
    logged = AuditEvent.objects.filter(action="session.minutes_read", actor=committee[3]).latest("at")
    assert logged.data == {"redacted": True}
    # The session page says no more to them than the minutes do.
    page = client_for(committee[3]).get(reverse("entraide:staff_session", args=[session.public_id])).content.decode()
    assert "Voisin" not in page and "Conditions confidentielles" not in page and "500,00" not in page


# --- Le relais ne voit que l'avancement ; les pièces du service restent internes ----------------


def relay_case(delegates, student, *, submit=True):
    delegate = delegates["promo_delegate"]
    return services.request_file(
        by=delegate.user,
        member=delegate,
        for_whom="relay",
        kind_requested="loan",
        purpose="mobility",
        amount_requested_eur=Decimal("3000"),
        situation="Je relaie pour un élève de ma promo.",
        files=[upload("devis.pdf")],
        relay_email=student.email,
        submit=submit,
    )


def test_a_relay_sees_only_that_the_request_goes_on(student, student_user, delegates, instructor, committee):
    case = relay_case(delegates, student)
    relay = Client()
    relay.force_login(delegates["promo_delegate"].user)
    url = reverse("entraide:case", args=[case.public_id])
    loan = approved_loan(case, instructor=instructor, committee=committee, amount="2500")
    services.document_add(case=case, uploaded=upload(), by=instructor, label="Relevé bancaire", shared=True)

    page = relay.get(url).content.decode()
    assert "Examen terminé" in page and "communiquée à la personne aidée" in page
    assert "Accordée" not in page and "2 500" not in page and "2500" not in page
    assert reverse("entraide:loan", args=[loan.public_id]) not in page
    assert "Relevé bancaire" not in page  # a piece of the service, even shared, is for the person helped
    own = case.documents.get(uploaded_by=delegates["promo_delegate"].user)
    assert reverse("entraide:document", args=[own.public_id]) in page
    assert 'value="withdraw"' not in page and 'value="document"' not in page
    home = relay.get("/entraide/").content.decode()
    assert "Examen terminé" in home and "en relais" in home and "Accordée" not in home
    # Withdrawing, adding a piece once the case left their hands, the loan, the service's piece: refused.
    assert relay.post(url, {"action": "withdraw"}).status_code == 404
    assert relay.post(url, {"action": "document", "file": upload()}).status_code == 404
    assert relay.get(reverse("entraide:loan", args=[loan.public_id])).status_code == 404
    staff_piece = case.documents.get(label="Relevé bancaire")
    assert relay.get(reverse("entraide:document", args=[staff_piece.public_id])).status_code == 404
    case.refresh_from_db()
    assert case.status == "approved" and case.documents.count() == 2
    # The person helped sees the decision and their loan.
    owner = Client()
    owner.force_login(student_user)
    page = owner.get(url).content.decode()
    assert "Accordée" in page and reverse("entraide:loan", args=[loan.public_id]) in page


def test_a_relay_completes_an_incomplete_request(student, delegates, instructor):
    case = relay_case(delegates, student)
    services.case_mark_incomplete(case=case, by=instructor, message="Il manque l'avis d'imposition de la famille.")
    relay = Client()
    relay.force_login(delegates["promo_delegate"].user)
    url = reverse("entraide:case", args=[case.public_id])
    page = relay.get(url).content.decode()
    assert "Compléments demandés" in page and "avis d'imposition" not in page
    relay.post(url, {"action": "document", "file": upload("avis.pdf"), "label": "Avis"})
    assert case.documents.count() == 2
    relay.post(url, {"action": "submit"})
    case.refresh_from_db()
    assert case.status == "submitted"


def test_pieces_filed_by_the_service_stay_internal_until_shared(student_case, student_user, instructor):
    services.case_assign(case=student_case, instructor=instructor, by=instructor)
    staff = client_for(instructor)
    staff.post(
        reverse("entraide:staff_case_action", args=[student_case.public_id, "piece"]),
        {"file": upload("rapport.pdf"), "label": "Rapport de l'assistante sociale"},
    )
    piece = student_case.documents.get(label="Rapport de l'assistante sociale")
    assert piece.shared_with_requester is False
    owner = Client()
    owner.force_login(student_user)
    url = reverse("entraide:case", args=[student_case.public_id])
    assert "Rapport de l&#x27;assistante sociale" not in owner.get(url).content.decode()
    assert owner.get(reverse("entraide:document", args=[piece.public_id])).status_code == 404
    assert student_case.documents.exclude(pk=piece.pk).get().shared_with_requester  # their own upload

    staff.post(
        reverse("entraide:staff_case_action", args=[student_case.public_id, "partage-piece"]),
        {"document": piece.public_id, "shared": "on"},
    )
    piece.refresh_from_db()
    assert piece.shared_with_requester
    assert "Rapport de l&#x27;assistante sociale" in owner.get(url).content.decode()
    assert owner.get(reverse("entraide:document", args=[piece.public_id])).status_code == 200
    assert audit_for_case(student_case).filter(action="case.document_shared", actor=instructor).exists()


def audit_for_case(case):
    from soce.lib.audit import audit_for

    return audit_for(case)


# --- Les lectures par liste comptent dans « qui a ouvert ce dossier » -----------------------------


def test_payments_and_lists_log_a_read_of_each_case_they_show(
    student_user, student, instructor, committee, delegates, django_assert_num_queries
):
    cases = []
    for i in range(3):
        user, member = member_user(f"aide{i}@exemple.fr")
        case = file_case(user, member, kind="grant", amount="500", purpose="health", files=[])
        to_session(case, instructor=instructor, committee=committee)
        services.case_decide(case=case, by=committee[1], outcome="approved", kind="grant", amount_eur=Decimal("500"))
        services.grant_prepare(
            case=case, by=instructor, amount_eur=Decimal("500"), account_holder=member.full_name, iban=VALID_IBAN
        )
        cases.append(case)
    staff = client_for(committee[1])
    staff.get(reverse("entraide:staff_home"))  # warm the session and content-type caches

    # session, user, user perms, group perms, TOTP authenticator, urgent role (member, national offices),
    # grants (+case, borrower, member, preparer, validator), tranches, grants awaiting a proof,
    # one bulk INSERT of the three reads
    with django_assert_num_queries(11):
        page = staff.get(reverse("entraide:staff_payments")).content.decode()
    assert VALID_IBAN.replace(" ", "") in page
    for case in cases:
        read = reads(case).get(actor=committee[1], data__page="paiements")
        assert read in selectors.access_log(case=case)
    # The case list: one row per case of the page, in the same single INSERT.
    staff.get(reverse("entraide:staff_cases"))
    for case in cases:
        assert reads(case).filter(actor=committee[1], data__page="liste").count() == 1
    log = staff.get(reverse("entraide:staff_case_access", args=[cases[0].public_id])).content.decode()
    assert "paiements" in log and "liste" in log


def test_the_minutes_log_a_read_of_the_cases_they_name(student_case, instructor, committee):
    session = to_session(student_case, instructor=instructor, committee=committee)
    services.case_decide(case=student_case, by=committee[1], outcome="rejected", reason="Hors critères")
    client_for(committee[2]).get(reverse("entraide:staff_session_minutes", args=[session.public_id]))
    assert reads(student_case).filter(actor=committee[2], data__page="procès-verbal").count() == 1


def test_a_late_loan_goes_on_a_session_agenda_from_the_back_office(
    student_case, student_user, instructor, committee, delegates
):
    import time_machine
    from django.utils import timezone

    from .test_services import disbursed_loan

    loan = disbursed_loan(student_case, instructor=instructor, committee=committee, student_user=student_user)
    with time_machine.travel(loan.first_due_on + timedelta(days=200), tick=False):
        services.loans_nightly()
        chair = client_for(committee[0])
        response = chair.post(
            reverse("entraide:staff_sessions"), {"held_on": timezone.localdate().isoformat(), "place": "Paris"}
        )
        session_url = response["Location"]
        chair.post(f"{session_url}ajouter-pret/", {"loan": loan.public_id})
        page = chair.get(session_url).content.decode()
        assert "Prêts examinés" in page and loan.reference in page
        session = loan.agenda_items.get().session
        chair.post(f"{session_url}retirer-pret/", {"loan": loan.public_id})
        assert not loan.agenda_items.exists()
        chair.post(f"{session_url}ajouter-pret/", {"loan": loan.public_id})
        assert loan.agenda_items.get().session == session
        chair.post(f"{session_url}presences/", {"present": [str(committee[0].pk), str(committee[2].pk)]})
        chair.post(f"{session_url}ouvrir/")
        loan_url = reverse("entraide:staff_loan", args=[loan.public_id])
        # Only the members present at a session that examined the loan are offered it to enter a measure.
        assert str(session) in client_for(committee[2]).get(loan_url).content.decode()
        absent_page = client_for(committee[1]).get(loan_url).content.decode()
        assert "La décision se saisit par un membre présent" in absent_page
        client_for(committee[2]).post(
            reverse("entraide:staff_loan_action", args=[loan.public_id, "mesure"]),
            {"kind": "write_off", "session": session.pk, "decision_note": "Irrécouvrable"},
        )
    assert loan.measures.get().proposed_by == committee[2]


# --- L'ordre du jour se compose à partir des dossiers prêts ----------------------------------------


def ready_case(email, instructor, *, amount="500"):
    user, member = member_user(email)
    case = file_case(user, member, kind="grant", amount=amount, purpose="health", files=[])
    services.case_assign(case=case, instructor=instructor, by=instructor)
    services.case_mark_ready(case=case, by=instructor)
    return case


def test_the_agenda_is_composed_from_the_cases_ready_for_committee(instructor, committee, outsider):
    from datetime import timedelta

    from entraide.models import CommitteeSession

    def agenda(session):
        return set(AidCase.objects.filter(session=session).values_list("pk", flat=True))

    # A case adjourned by a past session, then put back « ready »: it still points at that closed session.
    adjourned = ready_case("ajourne@exemple.fr", instructor)
    past = services.session_create(held_on=date.today(), by=committee[0])
    assert agenda(past) == {adjourned.pk}
    services.session_open(session=past, by=committee[0])
    services.session_close(session=past, by=committee[0])
    adjourned.refresh_from_db()
    services.case_mark_ready(case=adjourned, by=instructor)
    assert adjourned.session == past

    first = ready_case("premier@exemple.fr", instructor)
    elsewhere = ready_case("ailleurs@exemple.fr", instructor)
    earlier = services.session_create(held_on=date.today() + timedelta(days=3), by=committee[0])
    assert agenda(earlier) == {adjourned.pk, first.pk, elsewhere.pk}  # composed when the session is created
    for case in (first, adjourned):
        case.refresh_from_db()
        services.session_remove_case(session=earlier, case=case, by=committee[0])  # staff still decide

    chair = client_for(committee[0])
    session_url = chair.post(
        reverse("entraide:staff_sessions"), {"held_on": (date.today() + timedelta(days=30)).isoformat()}
    )["Location"]
    session = CommitteeSession.objects.get(public_id=session_url.rstrip("/").split("/")[-1])
    assert agenda(session) == {first.pk, adjourned.pk}  # not the case already on the earlier session's agenda
    # Taken off by hand, then « Composer l'ordre du jour » brings back whatever waits.
    chair.post(f"{session_url}retirer/", {"case": first.public_id})
    assert agenda(session) == {adjourned.pk}
    late = ready_case("tardif@exemple.fr", instructor)
    response = chair.post(f"{session_url}composer/", follow=True)
    assert "Ordre du jour composé : 2 dossier(s) et 0 prêt(s) ajoutés." in response.content.decode()
    assert agenda(session) == {first.pk, adjourned.pk, late.pk}
    assert AuditEvent.objects.filter(action="case.on_agenda", object_id=str(late.pk), data__auto=True).exists()
    # Someone not convened to the session does not prepare it.
    waiting = ready_case("encore@exemple.fr", instructor)
    response = client_for(outsider).post(f"{session_url}composer/", follow=True)
    assert "Seuls les membres convoqués" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.session is None


# --- Pas de redirection ouverte ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("https://evil.example.com/phish", "/entraide/gestion/paiements/"),
        ("//evil.example.com/", "/entraide/gestion/paiements/"),
        ("javascript:alert(1)", "/entraide/gestion/paiements/"),
        ("/entraide/gestion/", "/entraide/gestion/"),
    ],
)
def test_payment_actions_only_go_back_to_a_page_of_this_site(instructor, committee, next_url, expected):
    user, member = member_user("virement@exemple.fr")
    case = file_case(user, member, kind="grant", amount="300", purpose="health", files=[])
    to_session(case, instructor=instructor, committee=committee)
    services.case_decide(case=case, by=committee[1], outcome="approved", kind="grant", amount_eur=Decimal("300"))
    grant = services.grant_prepare(
        case=case, by=instructor, amount_eur=Decimal("300"), account_holder="X", iban=VALID_IBAN
    )
    response = client_for(committee[1]).post(
        reverse("entraide:staff_payment_action", args=["secours", grant.public_id, "valider"]), {"next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == expected
