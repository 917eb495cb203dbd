"""Le petit monde des tests de l'entraide : un élève, ses délégués, un instructeur, un comité."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from conftest import login_with_mfa, staff_user_with
from entraide import services
from entraide.models import CommitteeSeat, Opinion, SeatRole
from members.models import Group, GroupMembership
from members.tests.factories import CampusFactory, CategoryFactory, MemberFactory, UserFactory
from soce.lib import roles

VALID_IBAN = "FR76 3000 6000 0112 3456 7890 189"


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name="devis.pdf", content=None, content_type="application/pdf"):
    return SimpleUploadedFile(name, content if content is not None else pdf_bytes(), content_type=content_type)


def member_user(email: str, **member_kwargs):
    if member_kwargs.get("entry_year"):
        member_kwargs.setdefault("graduation_year", member_kwargs["entry_year"] + 3)
    user = UserFactory(email=email)
    member = MemberFactory(
        user=user, email=email, first_name=user.first_name, last_name=user.last_name, **member_kwargs
    )
    return user, member


def entraide_user(email: str, *, campus_code="Cl", entry_year=1975, **member_kwargs):
    user = staff_user_with(roles.ENTRAIDE, email)
    MemberFactory(
        user=user,
        email=email,
        campus=CampusFactory(code=campus_code, name=campus_code),
        entry_year=entry_year,
        graduation_year=entry_year + 3,
        **member_kwargs,
    )
    return user


def client_for(user) -> Client:
    return login_with_mfa(Client(), user)


@pytest.fixture(scope="session", autouse=True)
def _clean_private_files():
    """FileField storages are bound when models load (var/test-private): remove what the tests wrote."""
    yield
    import shutil
    from pathlib import Path

    from entraide.models import Document

    shutil.rmtree(Path(Document._meta.get_field("file").storage.location) / "entraide", ignore_errors=True)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def campus(db):
    return CampusFactory(code="Bo", name="Bordeaux-Talence")


@pytest.fixture
def student_user(db, campus, today):
    eleve = CategoryFactory(code="eleve", label="Élève (PG)", is_alumni=False)
    user, _member = member_user(
        "eleve@exemple.fr", campus=campus, entry_year=today.year - 1, graduation_year=today.year + 2, category=eleve
    )
    return user


@pytest.fixture
def student(student_user):
    return student_user.member


@pytest.fixture
def delegates(student, campus):
    """The promo delegate, the campus delegate (DSC) and the campus director of the student."""
    promo = Group.objects.create(
        kind=Group.Kind.PROMOTION, name="Promo Bo", slug="promo-bo", campus=campus, entry_year=student.entry_year
    )
    campus_group = Group.objects.create(kind=Group.Kind.CAMPUS, name="Campus Bo", slug="campus-bo", campus=campus)
    out = {}
    for role, group, email in [
        (GroupMembership.Role.PROMO_DELEGATE, promo, "delegue@exemple.fr"),
        (GroupMembership.Role.CAMPUS_DELEGATE, campus_group, "dsc@exemple.fr"),
        (GroupMembership.Role.CAMPUS_DIRECTOR, campus_group, "directeur@exemple.fr"),
    ]:
        _user, member = member_user(email, campus=campus, entry_year=student.entry_year - (role != "promo_delegate"))
        GroupMembership.objects.create(member=member, group=group, role=role)
        out[role] = member
    return out


@pytest.fixture
def instructor(db):
    return entraide_user("instructeur@exemple.fr", entry_year=1978)


@pytest.fixture
def outsider(db):
    """In the Entraide group, but in no case's circle."""
    return entraide_user("autre-benevole@exemple.fr", entry_year=1979)


@pytest.fixture
def committee(db):
    """A chair and three members, none linked to the student."""
    people = []
    for i, role in enumerate([SeatRole.CHAIR, SeatRole.MEMBER, SeatRole.MEMBER, SeatRole.MEMBER]):
        user = entraide_user(f"comite{i}@exemple.fr", entry_year=1960 + i)
        CommitteeSeat.objects.create(user=user, role=role)
        people.append(user)
    return people


@pytest.fixture
def chair(committee):
    return committee[0]


def file_case(user, member, *, kind="loan", amount="3000", purpose="mobility", files=None):
    return services.request_file(
        by=user,
        member=member,
        for_whom="self",
        kind_requested=kind,
        purpose=purpose,
        amount_requested_eur=Decimal(amount),
        situation="Semestre à Montréal, le budget ne suit pas.",
        files=files if files is not None else [upload()],
    )


@pytest.fixture
def student_case(student_user, student, delegates):
    return file_case(student_user, student)


@pytest.fixture
def dev_pki():
    """The local seal certificate (var/pki, git-ignored), for tests that seal a contract."""
    from soce.lib.signing import pki

    pki.ensure_dev_pki()


def sign_contract(loan, user, *, words="trois mille euros", figures="3 000,00"):
    """The borrower's whole ceremony: amounts, e-mailed code, drawn signature."""
    from soce.lib.signing import services as signing
    from soce.lib.signing.testing import drawn_signature, last_otp_code

    contract = services.contract_start(loan=loan, user=user, amount_words=words, amount_figures=figures, accepted=True)
    party = contract.document.parties.get()
    assert signing.otp_verify(party=party, user=user, code=last_otp_code(to=user.email)).ok
    signing.party_sign(party=party, user=user, signature_data_url=drawn_signature(), place="Bordeaux")
    loan.refresh_from_db()
    return contract


def answer_opinions(case):
    for opinion in Opinion.objects.filter(case=case).select_related("requested_from__user"):
        services.opinion_give(opinion=opinion, by=opinion.requested_from.user, verdict="favourable", text="Sérieux.")


def to_session(case, *, instructor, committee, present=None):
    """Instruction → opinions → ready → a session with everybody present, opened."""
    case.refresh_from_db()
    if case.status == "submitted":
        services.case_assign(case=case, instructor=instructor, by=instructor)
    if case.status == "opinions":
        answer_opinions(case)
    services.case_mark_ready(case=case, by=instructor)
    session = services.session_create(held_on=timezone.localdate(), by=committee[0])
    services.session_add_case(session=session, case=case, by=committee[0])
    ids = {u.pk for u in (present if present is not None else committee)}
    services.session_set_attendance(session=session, present_ids=ids, by=committee[0])
    services.session_open(session=session, by=committee[0])
    case.refresh_from_db()
    return session


def approved_loan(case, *, instructor, committee, amount="3000", count=10):
    to_session(case, instructor=instructor, committee=committee)
    services.case_decide(
        case=case, by=committee[1], outcome="approved", kind="loan", amount_eur=Decimal(amount), instalments_count=count
    )
    return case.loans.get()
