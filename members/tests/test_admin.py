"""Back office: constant queries whatever the number of members, actions through the services."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Cotisation, Lifecycle, Member
from members.tests.factories import GroupMembershipFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/members/member/",
        "/admin/members/member/?status__exact=active&a_jour=non",
        "/admin/members/member/?q=Bo+215",
        "/admin/members/member/?q=Mar",
        "/admin/members/cotisation/",
        "/admin/members/payment/",
    ],
)
def test_admin_lists_use_a_constant_number_of_queries(staff_client, url):
    for _ in range(3):
        GroupMembershipFactory(member=MemberFactory(entry_year=2015))
    few = _count_queries(staff_client, url)
    for _ in range(40):
        GroupMembershipFactory(member=MemberFactory(entry_year=2015))
    assert _count_queries(staff_client, url) == few


def test_admin_member_list_query_budget(staff_client, django_assert_max_num_queries):
    for _ in range(30):
        MemberFactory()
    # session, user, MFA authenticator check, permissions, count, page of members (+campus, category),
    # the sidebar filters (campus, categories, GT/GP groups), and the history/import-export hooks
    with django_assert_max_num_queries(15):
        staff_client.get("/admin/members/member/")


def test_promo_search_in_admin(staff_client):
    MemberFactory(last_name="Gadz", entry_year=1979)
    MemberFactory(last_name="Autre", entry_year=1980)
    html = staff_client.get("/admin/members/member/?q=bo179").content.decode()
    assert "Gadz" in html and "Autre" not in html


def test_strike_off_action_goes_through_the_service(staff_client):
    member = MemberFactory()
    response = staff_client.post(
        "/admin/members/member/",
        {
            "action": "strike_off",
            "_selected_action": [member.pk],
            "apply": "1",
            "reason": "Demande du bureau",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == Lifecycle.STRUCK_OFF and member.struck_off_reason == "Demande du bureau"


def test_record_payment_action(staff_client, grids):
    member = MemberFactory(entry_year=1990, graduation_year=1993)
    staff_client.post(
        "/admin/members/member/",
        {
            "action": "record_payment",
            "_selected_action": [member.pk],
            "apply": "1",
            "amount_eur": "110",
            "method": "cheque",
            "paid_on": "2026-03-02",
            "reference": "CHQ 77",
        },
    )
    cot = Cotisation.objects.get(member=member)
    assert cot.status == "paid" and cot.payments.get().reference == "CHQ 77"


def test_grid_simulation_page(staff_client, grids):
    MemberFactory(entry_year=1990, graduation_year=1993, paid_through_year=2026)
    MemberFactory(entry_year=2022, graduation_year=2025, paid_through_year=2026)
    html = staff_client.get(f"/admin/members/rategrid/{grids[2027].pk}/simulation/").content.decode()
    assert "JP2" in html and "PLEIN" in html and "155,00" in html  # 110 + 45 expected


def test_member_history_in_the_admin_shows_every_change_with_who_and_why(staff_client, staff_user, grids):
    import time_machine

    with time_machine.travel(date(2026, 11, 22), tick=True):
        member = MemberFactory(city="Lyon", entry_year=1990, graduation_year=1993)
        member.city = "Lille"
        member.save()
        staff_client.post(
            "/admin/members/member/",
            {"action": "strike_off", "_selected_action": [member.pk], "apply": "1", "reason": "Demande du bureau"},
        )
        staff_client.post(
            "/admin/members/member/",
            {
                "action": "record_payment",
                "_selected_action": [member.pk],
                "apply": "1",
                "amount_eur": "110",
                "method": "cheque",
                "paid_on": "2026-03-02",
            },
        )
        html = _text(staff_client.get(f"/admin/members/member/{member.pk}/history/"))
    table = html.split('id="change-history"')[1].split("</table>")[0]
    # one table row per historical record, as text
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in table.split("<tr>")[2:]]
    assert len(rows) == 5
    # newest first: saved in the admin, or through a service's UPDATE; each with its author and reason
    paid, back, struck, moved, created = rows
    assert "Ville: Lyon → Lille" in moved and "Créé" in created
    assert "Demande du bureau" in struck and "Situation: active → struck_off" in struck and str(staff_user) in struck
    assert "Retour : cotisation 2026 réglée" in back and "struck_off → active" in back and str(staff_user) in back
    assert "À jour jusqu'à l'année: None → 2026" in paid and str(staff_user) in paid


def test_bureau_reads_but_cannot_change(db):
    from django.test import Client

    from conftest import login_with_mfa, staff_user_with
    from soce.lib import roles

    bureau = login_with_mfa(Client(), staff_user_with(roles.BUREAU, "bureau@exemple.fr"))
    member = MemberFactory()
    assert bureau.get("/admin/members/member/").status_code == 200
    response = bureau.post(f"/admin/members/member/{member.pk}/change/", {"first_name": "X"})
    assert response.status_code == 403
    assert Member.objects.get(pk=member.pk).first_name != "X"


def test_gdpr_anonymise_action_keeps_the_accounting(staff_client, grids, staff_user):
    from members import services

    member = MemberFactory(last_name="Effacée", entry_year=1990, graduation_year=1993)
    cot = services.cotisation_open(member=member, year=2026, by=None)
    services.payment_record(
        cotisation=cot, amount_eur="110", method="cheque", paid_on=cot.created_at.date(), by=staff_user
    )
    response = staff_client.post(
        "/admin/members/member/",
        {
            "action": "anonymise",
            "_selected_action": [member.pk],
            "apply": "1",
            "reason": "Demande écrite du 3 mars",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.last_name != "Effacée" and member.anonymised_at is not None
    assert Cotisation.objects.get(pk=cot.pk).payments.count() == 1


def test_yearly_strike_off_from_the_admin_previews_then_runs(staff_client):
    from django.utils import timezone

    year = timezone.localdate().year
    old = MemberFactory(paid_through_year=year - 7)
    recent = MemberFactory(paid_through_year=year - 1)
    page = staff_client.get("/admin/members/member/radiation-annuelle/").content.decode()
    assert "1 membre serait radié" in page
    staff_client.post("/admin/members/member/radiation-annuelle/")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Lifecycle.STRUCK_OFF and recent.status == Lifecycle.ACTIVE


def test_member_change_page_has_a_constant_query_count(staff_client, grids):
    from members import services

    def page_queries(member):
        return _count_queries(staff_client, f"/admin/members/member/{member.pk}/change/")

    small = MemberFactory(entry_year=1990, graduation_year=1993)
    GroupMembershipFactory(member=small)
    services.cotisation_open(member=small, year=2025, by=None)
    big = MemberFactory(entry_year=1990, graduation_year=1993)
    for _ in range(4):
        GroupMembershipFactory(member=big)
    for year in (2025, 2026, 2027):
        services.cotisation_open(member=big, year=year, by=None)
    page_queries(small)  # warm the per-process caches (content types)
    assert page_queries(small) == page_queries(big) <= 15


def test_streamed_csv_export_of_the_selection(staff_client):
    from soce.lib.models import AuditEvent

    MemberFactory(last_name="Exporté", entry_year=1979)
    MemberFactory(last_name="=HYPERLINK(1)")
    response = staff_client.post(
        "/admin/members/member/",
        {
            "action": "export_csv_stream",
            "select_across": "1",
            "index": "0",
            "_selected_action": list(Member.objects.values_list("pk", flat=True)),
        },
    )
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufefflast_name;first_name;promo")
    assert "Exporté" in body and "Bo 179" in body
    assert "'=HYPERLINK(1)" in body
    assert AuditEvent.objects.filter(action="members.export").exists()


def test_member_page_shows_groups_and_adds_one(staff_client):
    from members.models import GroupMembership
    from members.tests.factories import GroupFactory

    member = MemberFactory()
    existing = GroupMembershipFactory(member=member)
    new_group = GroupFactory(name="GT Nouveau")
    html = staff_client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert existing.group.name in html and "ajouter à un groupe" in html.lower()
    assert GroupMembership.objects.filter(member=member).count() == 1
    assert new_group.pk


def _text(response) -> str:
    import html

    return html.unescape(response.content.decode())


def _role_client(role, email):
    from django.test import Client

    from conftest import login_with_mfa, staff_user_with

    return login_with_mfa(Client(), staff_user_with(role, email))


@pytest.mark.parametrize("role", ["Bénévolat", "Entraide"])
def test_receipts_zip_needs_the_receipt_permission_not_only_view_member(role, paid_dues):
    member = MemberFactory()
    paid_dues(member)
    client = _role_client(role, "role@exemple.fr")
    assert client.get("/admin/members/member/").status_code == 200  # they may list members…
    response = client.post(
        "/admin/members/member/", {"action": "download_receipts", "_selected_action": [member.pk]}, follow=True
    )
    # …but not download their tax receipts
    assert response["Content-Type"].startswith("text/html")
    assert "Vous n'avez pas le droit de consulter les reçus fiscaux." in _text(response)


def test_receipts_zip_for_staff_with_the_permission(staff_client, paid_dues):
    import io
    import zipfile

    member = MemberFactory()
    receipt = paid_dues(member).tax_receipts.get()
    response = staff_client.post(
        "/admin/members/member/", {"action": "download_receipts", "_selected_action": [member.pk]}
    )
    assert response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == [f"recu-{receipt.number}.pdf"]


def test_actions_on_dues_check_the_permission_of_the_dues(db, grids):
    """An admin action checks the right on the data it writes, not only on the model it is listed on."""
    from django.contrib.auth.models import Permission

    from members import services
    from members.models import Payment, TaxReceipt, User

    user_client = _role_client(None, "partiel@exemple.fr")
    user = User.objects.get(email="partiel@exemple.fr")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="members",
            codename__in=["view_member", "change_member", "view_cotisation", "change_cotisation"],
        )
    )
    member = MemberFactory(entry_year=1990, graduation_year=1993)
    cot = services.cotisation_open(member=member, year=2026, by=None)
    payment = {"apply": "1", "amount_eur": "110", "method": "cheque", "paid_on": "2026-03-02", "reference": ""}
    for url, action, pk in (
        ("/admin/members/member/", "record_payment", member.pk),
        ("/admin/members/cotisation/", "record_payment", cot.pk),
    ):
        response = user_client.post(url, {"action": action, "_selected_action": [pk], **payment}, follow=True)
        assert "Vous n'avez pas le droit d'enregistrer un paiement." in _text(response)
    assert not Payment.objects.exists()
    Cotisation.objects.filter(pk=cot.pk).update(status="paid", paid_eur=110)
    response = user_client.post(
        "/admin/members/cotisation/", {"action": "issue_receipts", "_selected_action": [cot.pk]}, follow=True
    )
    assert "Vous n'avez pas le droit d'émettre des reçus fiscaux." in _text(response)
    assert not TaxReceipt.objects.exists()


def _change_form_data(response) -> dict:
    """The POST data of an admin change page as displayed (main form and every inline formset)."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = field.widget.format_value(value) if hasattr(field.widget, "format_value") else value
                data[key] = "" if data[key] is None else data[key]

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.initial_forms:
            add(form)
    return data


def test_admin_requires_an_end_date_for_an_officer_role(staff_client):
    from members.models import GroupMembership
    from members.tests.factories import GroupFactory

    member = MemberFactory()
    gm = GroupMembershipFactory(member=member, group=GroupFactory(name="GT Landes"))
    url = f"/admin/members/member/{member.pk}/change/"
    data = _change_form_data(staff_client.get(url))
    prefix = next(k for k in data if k.endswith("-0-id") and data[k] == str(gm.pk)).removesuffix("-0-id")
    data[f"{prefix}-0-role"] = "president"
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "Indiquez la fin du mandat" in _text(response)
    assert GroupMembership.objects.get(pk=gm.pk).role == "member"
    data[f"{prefix}-0-ends_on"] = "2030-06-30"
    assert staff_client.post(url, data).status_code == 302
    gm.refresh_from_db()
    assert (gm.role, str(gm.ends_on)) == ("president", "2030-06-30")


def test_resign_action_goes_through_the_service_and_is_historised(staff_client, staff_user):
    from soce.lib.models import AuditEvent

    member = MemberFactory()
    response = staff_client.post(
        "/admin/members/member/",
        {"action": "resign", "_selected_action": [member.pk], "apply": "1", "reason": "Lettre du 2 mars"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == Lifecycle.RESIGNED
    row = member.history.first()
    assert (row.status, row.history_user, row.history_change_reason) == (
        "resigned",
        staff_user,
        "Démission : Lettre du 2 mars",
    )
    event = AuditEvent.objects.get(action="status.resigned", object_id=str(member.pk))
    assert (event.actor, event.note) == (staff_user, "Démission : Lettre du 2 mars")


def test_deceased_action_records_the_date_and_stops_the_dues(staff_client, staff_user, grids):
    import time_machine

    from members import services
    from members.models import CotisationStatus
    from members.tokens import renewal_token
    from soce.lib.exceptions import BusinessError

    with time_machine.travel(date(2026, 11, 22), tick=True):
        member = MemberFactory(entry_year=1960, graduation_year=1963, paid_through_year=2025)
        cot = services.cotisation_open(member=member, year=2026, by=None)
        token = renewal_token(member, 2027)
        url = "/admin/members/member/"
        future = {"action": "mark_deceased", "_selected_action": [member.pk], "apply": "1", "deceased_on": "2026-12-25"}
        response = staff_client.post(url, future)
        assert "La date du décès ne peut pas être dans le futur." in _text(response)
        response = staff_client.post(url, {**future, "deceased_on": "2026-11-03", "note": "Faire-part de sa fille"})
        assert response.status_code == 302
        member.refresh_from_db()
        cot.refresh_from_db()
        assert (member.status, str(member.deceased_on)) == (Lifecycle.DECEASED, "2026-11-03")
        assert member.history.filter(
            status="deceased",
            history_user=staff_user,
            history_change_reason="Décès le 03/11/2026 : Faire-part de sa fille",
        ).exists()
        assert cot.status == CotisationStatus.CANCELLED  # no longer owed
        assert services.renewal_year_for(member) is None
        with pytest.raises(BusinessError, match="décédé"):
            services.cotisation_open(member=member, year=2027, by=None)
        assert staff_client.get(f"/renouveler/{token}/").status_code == 410


def test_record_payment_action_on_an_up_to_date_member_records_nothing(staff_client, staff_user, grids):
    import time_machine

    from members import services

    with time_machine.travel(date(2026, 11, 22), tick=True):
        member = MemberFactory(entry_year=1990, graduation_year=1993)
        for year in (2026, 2027):  # paid this year and next: nothing left to pay
            cot = services.cotisation_open(member=member, year=year, by=None)
            services.payment_record(
                cotisation=cot, amount_eur="110", method="cheque", paid_on=date(2026, 3, 2), by=staff_user
            )
        response = staff_client.post(
            "/admin/members/member/",
            {
                "action": "record_payment",
                "_selected_action": [member.pk],
                "apply": "1",
                "amount_eur": "110",
                "method": "cheque",
                "paid_on": "2026-11-02",
            },
            follow=True,
        )
    assert "aucune cotisation à régler (déjà à jour" in _text(response)
    assert [c.paid_eur for c in Cotisation.objects.filter(member=member).order_by("year")] == [110, 110]
    assert sum(c.payments.count() for c in Cotisation.objects.filter(member=member)) == 2


def test_secretariat_can_use_the_login_autocomplete_of_the_member_form(staff_client):
    from members.tests.factories import UserFactory

    user = UserFactory(email="compte.cherche@exemple.fr")
    response = staff_client.get(
        "/admin/autocomplete/",
        {"app_label": "members", "model_name": "member", "field_name": "user", "term": "compte.cherche"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(user.pk)]


def test_staff_download_a_membership_certificate_from_the_cotisation(staff_client, paid_dues, this_year):
    import io
    import zipfile

    from pypdf import PdfReader

    from members.models import Cotisation as Cot

    member = MemberFactory(last_name="Attestée")
    cot = paid_dues(member)
    page = _text(staff_client.get(f"/admin/members/cotisation/{cot.pk}/change/"))
    url = f"/admin/members/cotisation/{cot.pk}/attestation/"
    assert url in page
    response = staff_client.get(url)
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert f"Attestation d'adhésion {this_year}" in text and "ATTESTÉE" in text

    unpaid = Cot.objects.create(
        member=MemberFactory(), year=this_year, amount_due_eur=110, transfer_reference="SOCE-X-UNPAID"
    )
    response = staff_client.get(f"/admin/members/cotisation/{unpaid.pk}/attestation/", follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert "n'est pas réglée" in _text(response)

    response = staff_client.post(
        "/admin/members/cotisation/", {"action": "download_certificates", "_selected_action": [cot.pk, unpaid.pk]}
    )
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 1 and names[0].startswith(f"attestation-{this_year}-Attestée")


def test_certificate_download_needs_the_view_permission_on_dues(db, paid_dues):
    cot = paid_dues(MemberFactory())
    client = _role_client("Bénévolat", "benevolat@exemple.fr")  # sees members, not their dues
    assert client.get(f"/admin/members/cotisation/{cot.pk}/attestation/").status_code == 403


def test_grid_simulation_refused_with_a_403_without_the_grid_permission(db, grids):
    client = _role_client("Bénévolat", "benevolat@exemple.fr")
    assert client.get(f"/admin/members/rategrid/{grids[2027].pk}/simulation/").status_code == 403


def test_a_published_grid_keeps_its_year_notes_and_rates(staff_client, grids):
    from members.models import Rate, RateGrid
    from members.tests.dues_fixtures import make_grid

    grid = grids[2027]
    url = f"/admin/members/rategrid/{grid.pk}/change/"
    page = staff_client.get(url)
    assert {"year", "notes"}.isdisjoint(page.context["adminform"].form.fields)
    data = {**_change_form_data(page), "year": "2031", "notes": "Changée après publication"}
    staff_client.post(url, data)
    grid.refresh_from_db()
    assert (grid.year, grid.notes) == (2027, "")
    assert Rate.objects.get(grid=grid, code="PLEIN").amount_eur == 110
    draft = make_grid(2031, status=RateGrid.Status.DRAFT)
    url = f"/admin/members/rategrid/{draft.pk}/change/"
    data = {**_change_form_data(staff_client.get(url)), "notes": "Hausse de 5 €"}
    assert staff_client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert draft.notes == "Hausse de 5 €"


def test_member_page_lists_the_dues_history_for_those_who_may_see_dues(staff_client, grids):
    from django.test import Client

    from conftest import login_with_mfa, staff_user_with
    from members import services
    from soce.lib import roles

    member = MemberFactory(entry_year=1990, graduation_year=1993)
    for year in (2025, 2026):
        services.cotisation_open(member=member, year=year, by=None)
    url = f"/admin/members/member/{member.pk}/change/"
    html = staff_client.get(url).content.decode()
    table = html[html.index('<table class="dues-history">') : html.index("</table>", html.index("dues-history"))]
    assert table.index("2026") < table.index("2025")  # newest first
    for cotisation in member.cotisations.all():
        assert f"/admin/members/cotisation/{cotisation.pk}/change/" in table
    # The Bénévolat team sees the member, not their dues.
    benevolat = login_with_mfa(Client(), staff_user_with(roles.BENEVOLAT, "benevolat@exemple.fr"))
    page = benevolat.get(url)
    assert page.status_code == 200
    assert "dues-history" not in page.content.decode()
