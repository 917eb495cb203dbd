"""Real concurrency (PostgreSQL): two representatives at the same instant give one countersignature."""

import threading

import pytest
from django.db import connection

from members.tests.factories import UserFactory
from soce.lib.exceptions import BusinessError
from soce.lib.signing import services
from soce.lib.signing.models import EvidenceAction, Party

from .conftest import CLIENT, confirm_and_verify


def _race(*calls):
    """Starts every call at the same instant in its own thread (own connection); returns results or errors."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except BusinessError as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_countersignatures_at_the_same_instant_give_one(document, signer, representative, mailoutbox):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrence réelle : lancer avec DATABASE_URL=postgres://…")
    party = document.parties.get(role=Party.Role.SIGNER)
    confirm_and_verify(party, signer, mailoutbox, party.identity)
    services.party_sign(party=party, user=signer, typed_name="Étienne Marchand", place="Angers", client=CLIENT)
    counter = document.parties.get(role=Party.Role.COUNTERSIGNER)
    other = UserFactory(email="second-representant@exemple.fr", last_name="Durand")

    claims = _race(
        lambda: services.party_claim(party=Party.objects.get(pk=counter.pk), user=representative, identity={}),
        lambda: services.party_claim(party=Party.objects.get(pk=counter.pk), user=other, identity={}),
    )
    assert sum(isinstance(r, BusinessError) for r in claims) == 1
    counter.refresh_from_db()
    holder = representative if counter.user_id == representative.pk else other
    identity = {"last_name": holder.last_name, "first_name": holder.first_name, "email": holder.email}
    confirm_and_verify(counter, holder, mailoutbox, identity)

    signs = _race(
        *[
            lambda: services.party_sign(
                party=Party.objects.get(pk=counter.pk),
                user=holder,
                typed_name=f"{holder.first_name} {holder.last_name}",
                place="Paris",
                client=CLIENT,
            )
            for _ in range(2)
        ]
    )
    assert sum(isinstance(r, BusinessError) for r in signs) == 1
    assert document.events.filter(action=EvidenceAction.SIGNED, party=counter).count() == 1
