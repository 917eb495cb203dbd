"""The bench's fast import path keeps MemberResource's rules: same rows created, same errors, history kept."""

import tablib

from bench.import_fast import FastMemberResource
from members.models import Member
from members.resources import MemberResource
from members.tests.factories import CampusFactory, CategoryFactory, MemberFactory

CSV = """civility,first_name,last_name,email,city,promo,graduation_year,categorie
Mme,Léa,Durand,LEA.DURAND@exemple.fr ,Lyon,Bo 215,2018,gadzarts
M.,Hugo,Petit,hugo.petit@exemple.fr,Metz,,,
"""


def _import(resource_class, text):
    return resource_class().import_data(tablib.Dataset().load(text, format="csv"), dry_run=False)


def test_fast_path_creates_the_same_members_as_the_stock_one(db):
    CampusFactory(code="Bo")
    CategoryFactory(code="gadzarts")
    result = _import(FastMemberResource, CSV)
    assert not result.has_errors() and not result.has_validation_errors()
    lea = Member.objects.get(email="lea.durand@exemple.fr")
    assert (lea.campus.code, lea.entry_year, lea.category.code, lea.graduation_year) == ("Bo", 2015, "gadzarts", 2018)
    assert lea.history.count() == 1  # history rows written with the batch
    assert Member.objects.get(email="hugo.petit@exemple.fr").campus is None


def test_fast_path_reports_the_stock_errors(db):
    CampusFactory(code="Bo")
    CategoryFactory(code="gadzarts")
    bad = "first_name,last_name,email,promo,graduation_year,categorie\nA,B,a@exemple.fr,Bo 215,2010,gadzarts\n"
    bad += "C,D,c@exemple.fr,Zz 100,,gadzarts\nE,F,e@exemple.fr,,,inconnue\n"
    fast, stock = _import(FastMemberResource, bad), _import(MemberResource, bad)
    assert [r.number for r in fast.invalid_rows] == [r.number for r in stock.invalid_rows] == [1, 2, 3]
    assert Member.objects.count() == 0


def test_fast_path_updates_an_existing_member_by_email(db):
    CategoryFactory(code="gadzarts")
    member = MemberFactory(email="deja@exemple.fr", city="Paris")
    result = _import(FastMemberResource, "first_name,last_name,email,city\nAnne,Roux,deja@exemple.fr,Lille\n")
    assert not result.has_errors() and not result.has_validation_errors()
    member.refresh_from_db()
    assert (member.city, Member.objects.count()) == ("Lille", 1)
