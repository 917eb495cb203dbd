"""Parcours 5 dans un vrai navigateur : un élève dépose sa demande avec une pièce, un membre du comité
enregistre la décision en séance."""

import pytest
from django.utils import timezone

from conftest import TEST_PASSWORD, browser_login, enable_totp, staff_user_with
from entraide import services
from entraide.models import AidCase, CommitteeSeat, SeatRole
from soce.lib import roles

from .conftest import answer_opinions, entraide_user, pdf_bytes


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_student_files_a_request_and_a_committee_member_records_the_decision(
    page, browser, live_server, tmp_path, student_user, student, delegates, instructor
):
    # The student files the request, with a document.
    document = tmp_path / "devis-universite.pdf"
    document.write_bytes(pdf_bytes())
    browser_login(page, student_user.email, TEST_PASSWORD, next_url="/entraide/demande/")
    page.wait_for_url("**/entraide/demande/")
    page.get_by_label("Pour moi").check()
    page.get_by_label("Aide demandée").select_option(label="Prêt d'honneur")
    page.get_by_label("Pour quoi ?").select_option(label="Mobilité internationale")
    page.get_by_label("Montant demandé (€)").fill("3000")
    page.get_by_label("Votre situation, en quelques lignes").fill("Semestre obligatoire à Montréal.")
    page.get_by_label("Pièces justificatives").set_input_files(str(document))
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.get_by_text("Votre demande est envoyée").wait_for()
    assert "Reçue" in page.content()
    case = AidCase.objects.get()
    assert case.documents.count() == 1 and case.status == "submitted"

    # Instruction and opinions happen meanwhile; the session of the month opens.
    member = staff_user_with(roles.ENTRAIDE, "membre-comite@exemple.fr", mfa=False)
    secret = enable_totp(member)
    others = [entraide_user(f"comite{i}@exemple.fr", entry_year=1960 + i) for i in range(2)]
    CommitteeSeat.objects.create(user=others[0], role=SeatRole.CHAIR)
    for user in [member, others[1]]:
        CommitteeSeat.objects.create(user=user, role=SeatRole.MEMBER)
    services.case_assign(case=case, instructor=instructor, by=instructor)
    answer_opinions(case)
    services.case_mark_ready(case=case, by=instructor)
    session = services.session_create(held_on=timezone.localdate(), by=others[0])
    services.session_add_case(session=session, case=case, by=others[0])
    services.session_set_attendance(session=session, present_ids={member.pk, *(u.pk for u in others)}, by=others[0])
    services.session_open(session=session, by=others[0])

    # A committee member signs in with the second factor and records the decision.
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    committee_page = context.new_page()
    committee_page.set_default_timeout(15000)
    session_url = f"/entraide/gestion/seances/{session.public_id}/"
    browser_login(committee_page, member.email, TEST_PASSWORD, totp_secret=secret, next_url=session_url)
    committee_page.wait_for_url(f"**{session_url}")
    assert student.full_name in committee_page.content()
    decision = committee_page.get_by_role("form", name="Décision")
    decision.get_by_label("Décision").select_option(label="Accordé")
    decision.get_by_label("Forme de l'aide").select_option(label="Prêt d'honneur")
    decision.get_by_label("Montant accordé (€)").fill("2800")
    decision.get_by_label("Mensualités (prêt)").fill("28")
    decision.get_by_role("button", name="Enregistrer la décision").click()
    committee_page.get_by_text("La décision est enregistrée.").wait_for()
    context.close()

    case.refresh_from_db()
    assert (case.status, case.amount_granted_eur) == ("approved", 2800)
    loan = case.loans.get()
    assert loan.status == "offered" and loan.instalments.count() == 28
