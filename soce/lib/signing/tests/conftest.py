"""Fixtures du moteur de signature : PKI de développement, parties, document complet."""

import pytest

from members.tests.factories import UserFactory
from soce.lib.signing import services
from soce.lib.signing.client import ClientInfo
from soce.lib.signing.models import Party
from soce.lib.signing.testing import drawn_signature, last_otp_code


@pytest.fixture(scope="session", autouse=True)
def _dev_pki():
    """The local root CA and seal certificate, created once (var/pki, git-ignored)."""
    from soce.lib.signing import pki

    pki.ensure_dev_pki()


def code_from(mailoutbox=None) -> str:
    return last_otp_code()


CLIENT = ClientInfo(ip="203.0.113.7", user_agent="pytest", auth=[{"method": "password", "at": 1}])


@pytest.fixture
def signer(db):
    return UserFactory(email="signataire@exemple.fr", first_name="Étienne", last_name="Marchand")


@pytest.fixture
def representative(db):
    return UserFactory(email="representant@exemple.fr", first_name="Sophie", last_name="Lemaire")


@pytest.fixture
def document(signer):
    return services.document_create(
        kind="tests.contract",
        title="Contrat d'essai",
        version_label="V1",
        text_html="<h2>Article 1</h2><p>Je m'engage <strong>sur l'honneur</strong>.</p><script>alert(1)</script>",
        parties=[
            services.PartySpec(
                role=Party.Role.SIGNER,
                label="Le signataire",
                user=signer,
                identity={"last_name": "Marchand", "first_name": "Étienne", "promo": "An 198", "email": signer.email},
            ),
            services.PartySpec(role=Party.Role.COUNTERSIGNER, label="Pour la Soce"),
        ],
        by=signer,
    )


def confirm_and_verify(party, user, mailoutbox, identity):
    services.party_confirm(
        party=party, user=user, identity=identity, consent_text="J'accepte.", consent_version="T1", client=CLIENT
    )
    services.otp_send(party=party, user=user, to=identity["email"], client=CLIENT)
    assert services.otp_verify(party=party, user=user, code=code_from(mailoutbox), client=CLIENT).ok


def sign_all(document, signer, representative, mailoutbox):
    """Runs both parties through the ceremony (the caller captures on-commit callbacks)."""
    party = document.parties.get(role=Party.Role.SIGNER)
    confirm_and_verify(party, signer, mailoutbox, party.identity)
    services.party_sign(party=party, user=signer, signature_data_url=drawn_signature(), place="Angers", client=CLIENT)
    counter = document.parties.get(role=Party.Role.COUNTERSIGNER)
    identity = {"last_name": "Lemaire", "first_name": "Sophie", "email": representative.email}
    services.party_claim(party=counter, user=representative, identity=identity, capacity="Déléguée", client=CLIENT)
    confirm_and_verify(counter, representative, mailoutbox, identity)
    services.party_sign(party=counter, user=representative, typed_name="Sophie Lemaire", place="Paris", client=CLIENT)


@pytest.fixture
def sealed_document(document, signer, representative, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_all(document, signer, representative, mailoutbox)
    document.refresh_from_db()
    assert document.status == document.Status.SEALED
    return document
