"""The batched member import: same rules, every error, history kept, few queries whatever the size."""

import tablib

from members.models import Member
from members.resources import MemberResource
from members.tests.factories import CampusFactory, CategoryFactory, MemberFactory

CSV = """civility,first_name,last_name,email,city,promo,graduation_year,categorie
Mme,Léa,Durand,LEA.DURAND@exemple.fr ,Lyon,Bo 215,2018,gadzarts
M.,Hugo,Petit,hugo.petit@exemple.fr,Metz,,,
"""


def _import(resource_class, text):
    return resource_class().import_data(tablib.Dataset().load(text, format="csv"), dry_run=False)


def test_import_creates_members_with_promo_category_and_history(db):
    CampusFactory(code="Bo")
    CategoryFactory(code="gadzarts")
    result = _import(MemberResource, CSV)
    assert not result.has_errors() and not result.has_validation_errors()
    lea = Member.objects.get(email="lea.durand@exemple.fr")
    assert (lea.campus.code, lea.entry_year, lea.category.code, lea.graduation_year) == ("Bo", 2015, "gadzarts", 2018)
    assert lea.history.count() == 1  # history rows written with the batch
    assert Member.objects.get(email="hugo.petit@exemple.fr").campus is None


def test_import_reports_every_bad_row(db):
    CampusFactory(code="Bo")
    CategoryFactory(code="gadzarts")
    bad = "first_name,last_name,email,promo,graduation_year,categorie\nA,B,a@exemple.fr,Bo 215,2010,gadzarts\n"
    bad += "C,D,c@exemple.fr,Zz 100,,gadzarts\nE,F,e@exemple.fr,,,inconnue\n"
    result = _import(MemberResource, bad)
    assert [r.number for r in result.invalid_rows] == [1, 2, 3]
    assert "précède" in str(result.invalid_rows[0].error_dict)
    assert Member.objects.count() == 0


def test_import_updates_an_existing_member_by_email(db):
    CategoryFactory(code="gadzarts")
    member = MemberFactory(email="deja@exemple.fr", city="Paris")
    result = _import(MemberResource, "first_name,last_name,email,city\nAnne,Roux,deja@exemple.fr,Lille\n")
    assert not result.has_errors() and not result.has_validation_errors()
    member.refresh_from_db()
    assert (member.city, Member.objects.count()) == ("Lille", 1)


def test_import_query_count_does_not_grow_with_rows(db, django_assert_max_num_queries):
    CampusFactory(code="Bo")
    CategoryFactory(code="gadzarts")
    header = "first_name,last_name,email,promo,categorie\n"
    rows = "".join(f"P{i},N{i},p{i}@exemple.fr,Bo 215,gadzarts\n" for i in range(300))
    # categories, campuses, existing e-mails, savepoints and one batch insert (+ history) per 1,000 rows
    with django_assert_max_num_queries(40):
        result = _import(MemberResource, header + rows)
    assert not result.has_errors() and Member.objects.count() == 300
