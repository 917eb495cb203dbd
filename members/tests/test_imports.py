"""Imports are all or nothing, and list every bad row with its reason in French."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tablib import Dataset

from members import services
from members.models import Cotisation, Member, Payment
from members.resources import MemberResource, PaymentResource
from members.tests.factories import CampusFactory, CategoryFactory, MemberFactory

pytestmark = pytest.mark.django_db

GOOD = "first_name,last_name,email,promo,categorie,graduation_year,city,country\n"


def _members_csv(*rows):
    return Dataset().load(GOOD + "\n".join(rows), format="csv")


def test_member_import_with_bad_rows_writes_nothing_and_lists_each_error():
    CampusFactory(code="Bo")
    CategoryFactory()
    data = _members_csv(
        "Jeanne,Martin,jeanne@exemple.fr,bo219,gadzarts,2022,Bordeaux,FR",
        "Paul,Durand,,Bo 219,gadzarts,2022,Lyon,FR",
        "Luc,Petit,luc@exemple.fr,Zz 12,gadzarts,2022,Lille,FR",
        "Léa,Roux,lea@exemple.fr,Bo 219,inconnue,2022,Paris,FR",
    )
    result = MemberResource().import_data(data, dry_run=True, raise_errors=False)
    assert result.has_validation_errors()
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3, 4}
    assert "L'e-mail est obligatoire" in str(invalid[2])
    assert "Campus inconnu" in str(invalid[3])
    assert "Catégorie inconnue" in str(invalid[4])
    assert Member.objects.count() == 0


def test_member_import_of_good_rows_normalises_the_promo():
    CampusFactory(code="Bo")
    CategoryFactory()
    data = _members_csv("Jeanne,Martin,Jeanne@Exemple.fr,bo. 219,,2022,Bordeaux,fr")
    result = MemberResource().import_data(data, dry_run=False, raise_errors=True)
    assert not result.has_errors() and not result.has_validation_errors()
    member = Member.objects.get()
    assert (member.promo_label, member.email, member.country, member.category.code) == (
        "Bo 219",
        "jeanne@exemple.fr",
        "FR",
        "gadzarts",
    )


def test_payment_import_is_all_or_nothing_with_french_errors(grids, staff_user):
    cot = services.cotisation_open(member=MemberFactory(entry_year=1990, graduation_year=1993), year=2026, by=None)
    csv = (
        "reference_cotisation,montant,moyen,date,reference\n"
        f'{cot.transfer_reference},"110,00",chèque,05/03/2026,CHQ 1234\n'
        "SOCE-2026-XXXXXX,50,virement,05/03/2026,\n"
        f"{cot.transfer_reference},abc,bitcoin,31/02/2026,\n"
    )
    result = PaymentResource().import_data(
        Dataset().load(csv, format="csv"), dry_run=True, raise_errors=False, user=staff_user
    )
    assert not result.has_errors()
    both = {row.number: str(row.error_dict) for row in result.invalid_rows}
    assert set(both) == {2, 3}
    assert "Aucune cotisation ne porte la référence" in both[2]
    assert "Montant illisible" in both[3] and "Moyen de paiement inconnu" in both[3] and "Date illisible" in both[3]
    assert Payment.objects.count() == 0
    cot.refresh_from_db()
    assert cot.status == "due"


def test_payment_import_records_through_the_service(grids, staff_user, django_capture_on_commit_callbacks):
    cot = services.cotisation_open(member=MemberFactory(entry_year=1990, graduation_year=1993), year=2026, by=None)
    csv = f"reference_cotisation,montant,moyen,date,reference\n{cot.transfer_reference},110,chèque,05/03/2026,CHQ 1\n"
    with django_capture_on_commit_callbacks(execute=True):
        result = PaymentResource().import_data(Dataset().load(csv, format="csv"), dry_run=False, user=staff_user)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Cotisation.objects.get(pk=cot.pk).status == "paid"
    assert Payment.objects.get().recorded_by == staff_user


def test_admin_import_page_previews_then_refuses_a_bad_file(staff_client):
    CampusFactory(code="Bo")
    CategoryFactory()
    upload = SimpleUploadedFile("diplomes.csv", (GOOD + "Paul,Durand,,Bo 219,gadzarts,2022,Lyon,FR\n").encode())
    response = staff_client.post(
        "/admin/members/member/import/", {"import_file": upload, "format": "0", "resource": "0"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "L&#x27;e-mail est obligatoire" in html or "L'e-mail est obligatoire" in html
    assert 'name="import_file_name"' not in html  # no confirmation form: nothing can be imported
    assert Member.objects.count() == 0
