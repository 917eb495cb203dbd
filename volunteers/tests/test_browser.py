"""Journey 4 in a real browser: the volunteer draws their signature, a representative countersigns,
the sealed PDF is downloaded and validated with pyHanko, and the verification page catches one flipped byte."""

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from conftest import browser_login
from soce.lib.signing import pki
from soce.lib.signing.testing import last_otp_code
from volunteers.models import CharterSignature, Engagement


def _draw(page):
    """Draws a signature with the mouse on the pad, stroke by stroke."""
    canvas = page.locator("canvas.signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for stroke in ([(0.1, 0.7), (0.25, 0.2), (0.4, 0.75), (0.55, 0.25)], [(0.6, 0.6), (0.75, 0.3), (0.9, 0.65)]):
        page.mouse.move(x + w * stroke[0][0], y + h * stroke[0][1])
        page.mouse.down()
        for px, py in stroke[1:]:
            page.mouse.move(x + w * px, y + h * py, steps=8)
        page.mouse.up()
    assert page.locator("[data-pad-state]").inner_text() == "Signature tracée"


def _confirm_code_and_sign(page, email: str, sign_button: str, place: str):
    page.get_by_role("button", name="Recevoir mon code par e-mail").click()
    page.get_by_label("Code reçu par e-mail").fill(last_otp_code(to=email))
    page.get_by_role("button", name="Vérifier le code").click()
    page.get_by_text("Code vérifié : vous pouvez signer.").wait_for()
    _draw(page)
    page.get_by_label("Fait à").fill(place)
    page.get_by_role("button", name=sign_button).click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_charter_ceremony_in_the_browser(
    page, browser, live_server, volunteer_member, engagement, v8, representative_user, tmp_path
):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    # The volunteer reads, confirms, receives the code, draws and signs.
    browser_login(page, volunteer_member.email, next_url="/benevolat/charte/")
    page.wait_for_url("**/benevolat/charte/")
    page.get_by_label("Je confirme que ces informations sont exactes").check()
    page.get_by_label("J'ai lu la charte et je m'engage à la respecter").check()
    page.get_by_label("J'accepte la convention de preuve").check()
    _confirm_code_and_sign(page, volunteer_member.email, "Signer la charte", "Angers")
    page.get_by_text("Vous avez signé : en attente de contresignature.").wait_for()
    signature = CharterSignature.objects.get(volunteer=volunteer_member)
    assert signature.document.parties.get(role="signer").signature_method == "drawn"
    assert Engagement.objects.get(pk=engagement.pk).status == Engagement.Status.ACTIVE

    # A representative countersigns from the queue, in another browser session.
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", accept_downloads=True)
    rep = context.new_page()
    rep.set_default_timeout(15000)
    browser_login(rep, representative_user.email, next_url="/benevolat/contresignature/")
    rep.wait_for_url("**/benevolat/contresignature/")
    rep.get_by_role("link", name=f"Contresigner {volunteer_member.full_name}").click()
    rep.get_by_label("Je confirme que ces informations sont exactes").check()
    rep.get_by_label("Je représente la Soce en vertu de mon mandat").check()
    rep.get_by_label("J'accepte la convention de preuve").check()
    _confirm_code_and_sign(rep, representative_user.email, "Contresigner la charte", "Paris")
    rep.get_by_text("Charte contresignée.").first.wait_for()
    context.close()

    # Sealed after commit; the volunteer downloads the PDF, which pyHanko validates against the test root.
    page.goto(f"/benevolat/charte/{signature.public_id}/")
    page.get_by_text("Charte signée, contresignée et scellée.").wait_for()
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le PDF scellé").click()
    path = tmp_path / "charte.pdf"
    info.value.save_as(path)
    data = path.read_bytes()
    sealed = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[pki.trust_root()], allow_fetching=False)
    with ThreadPoolExecutor(max_workers=1) as pool:  # pyHanko runs its own event loop, Playwright holds this one
        status = pool.submit(validate_pdf_signature, sealed, context).result()
    assert status.intact and status.valid and status.trusted and status.docmdp_ok

    # The public verification page: the original is intact, one flipped byte is reported as altered.
    page.goto("/verifier/")
    page.get_by_label("PDF à vérifier").set_input_files(path)
    page.get_by_role("button", name="Vérifier le fichier").click()
    assert page.locator("[data-verdict]").get_attribute("data-verdict") == "valid"
    assert page.get_by_text("Document intact, cachet de la Soce valide.").is_visible()
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x01
    altered = tmp_path / "charte-modifiee.pdf"
    altered.write_bytes(bytes(flipped))
    page.goto("/verifier/")
    page.get_by_label("PDF à vérifier").set_input_files(altered)
    page.get_by_role("button", name="Vérifier le fichier").click()
    assert page.locator("[data-verdict]").get_attribute("data-verdict") == "altered"
    assert page.get_by_text("Document altéré").is_visible()
    assert Client().get(f"/verifier/{signature.document.reference}/").status_code == 200
