"""Formulaires du portail : profil, confidentialité, recherche dans l'annuaire ; liste des pays en français."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import MAX_ENTRY_YEAR, MIN_ENTRY_YEAR, PROMO_OFFSET, Member, Visibility
from .promo import Promo, parse_promo

# --- Countries (ISO 3166-1 alpha-2, French names) ------------------------------------------------


@cache
def countries() -> dict[str, str]:
    """ISO code → French name, for every country."""
    return dict(line.split(" ", 1) for line in _COUNTRY_TABLE.strip().splitlines())


def _sort_key(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


@cache
def country_choices() -> list[tuple[str, str]]:
    """France first (most members live there), then every country in French alphabetical order."""
    table = countries()
    others = sorted(((code, name) for code, name in table.items() if code != "FR"), key=lambda c: _sort_key(c[1]))
    return [("FR", table["FR"]), *others]


def country_name(code: str) -> str:
    return countries().get((code or "").upper(), code or "")


# --- Profile -------------------------------------------------------------------------------------

_PHONE_RE = re.compile(r"^\+?[0-9 .()\-]{6,25}$")


class ProfileForm(forms.ModelForm):
    """Contact and professional details that members edit themselves (names and promo stay with staff)."""

    country = forms.ChoiceField(label=_("Pays"), choices=country_choices, initial="FR")

    class Meta:
        model = Member
        fields = [
            "email",
            "email_alt",
            "phone",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "employer",
            "position",
            "sector",
        ]
        labels = {"email": _("E-mail de contact"), "email_alt": _("E-mail secondaire")}
        help_texts = {
            "email": _(
                "L'adresse où la Soce vous écrit. Votre identifiant de connexion se change dans « Adresse e-mail »."
            ),
            "phone": _("Avec l'indicatif si vous vivez hors de France, par ex. +41 22 123 45 67."),
        }
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "email_alt": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "employer": forms.TextInput(attrs={"autocomplete": "organization"}),
            "position": forms.TextInput(attrs={"autocomplete": "organization-title"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("Coordonnées"), "email", "email_alt", "phone", css_class="mb-4"),
            Fieldset(
                _("Adresse postale"),
                "address_line1",
                "address_line2",
                Div(
                    Div("postal_code", css_class="col-sm-4"),
                    Div("city", css_class="col-sm-8"),
                    css_class="row",
                ),
                "country",
                css_class="mb-4",
            ),
            Fieldset(_("Vie professionnelle"), "employer", "position", "sector", css_class="mb-4"),
        )

    def clean_phone(self) -> str:
        phone = " ".join(self.cleaned_data.get("phone", "").split())
        if phone and (not _PHONE_RE.match(phone) or sum(ch.isdigit() for ch in phone) < 6):
            raise ValidationError(
                _("Numéro de téléphone non valide : chiffres, espaces et « + » seulement, par ex. 06 12 34 56 78."),
                code="phone",
            )
        return phone

    def clean(self) -> dict:
        data = super().clean()
        email, alt = data.get("email", ""), data.get("email_alt", "")
        if email and alt and email.lower() == alt.lower():
            self.add_error("email_alt", _("L'e-mail secondaire doit être différent de l'e-mail de contact."))
        postal_code = (data.get("postal_code") or "").strip()
        if data.get("country") == "FR" and postal_code and not re.fullmatch(r"\d{5}", postal_code):
            self.add_error("postal_code", _("Un code postal français compte cinq chiffres, par ex. 33400."))
        if any(data.get(f) for f in ("address_line1", "postal_code")) and not data.get("city"):
            self.add_error("city", _("Indiquez la ville de votre adresse."))
        return data


# --- Privacy -------------------------------------------------------------------------------------

VISIBILITY_FIELDS = {
    "email_visibility": _("Mon e-mail"),
    "phone_visibility": _("Mon téléphone"),
    "address_visibility": _("Mon adresse postale"),
    "employer_visibility": _("Mon employeur, ma fonction et mon secteur"),
}


class PrivacyForm(forms.Form):
    directory_listed = forms.BooleanField(
        label=_("Je figure dans l'annuaire des membres"),
        required=False,
        help_text=_(
            "Votre nom, votre promotion, votre ville et votre pays y apparaissent, avec ce que vous choisissez "
            "de montrer ci-dessous. Vous pouvez retirer votre accord à tout moment."
        ),
    )
    email_visibility = forms.ChoiceField(
        label=VISIBILITY_FIELDS["email_visibility"], choices=Visibility.choices, widget=forms.RadioSelect
    )
    phone_visibility = forms.ChoiceField(
        label=VISIBILITY_FIELDS["phone_visibility"], choices=Visibility.choices, widget=forms.RadioSelect
    )
    address_visibility = forms.ChoiceField(
        label=VISIBILITY_FIELDS["address_visibility"], choices=Visibility.choices, widget=forms.RadioSelect
    )
    employer_visibility = forms.ChoiceField(
        label=VISIBILITY_FIELDS["employer_visibility"], choices=Visibility.choices, widget=forms.RadioSelect
    )
    newsletter = forms.BooleanField(
        label=_("Je souhaite recevoir la lettre d'information de la Soce"),
        required=False,
    )
    reminders_opt_out = forms.BooleanField(
        label=_("Ne plus recevoir les relances de cotisation"),
        required=False,
        help_text=_("L'appel à cotisation annuel vous parvient quand même : il n'est envoyé qu'une fois par an."),
    )

    def __init__(self, *args, member: Member, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "directory_listed": member.directory_consent_at is not None,
                "newsletter": member.newsletter_consent_at is not None,
                "reminders_opt_out": member.reminders_opt_out,
                **{name: getattr(member, name) for name in VISIBILITY_FIELDS},
            },
        )
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("L'annuaire"), "directory_listed", css_class="mb-4"),
            Fieldset(
                _("Ce que les autres membres voient de moi"),
                HTML(
                    '<p class="form-text mt-0">{% load i18n %}{% translate "Ces choix valent pour l\'annuaire et '
                    'pour les responsables de vos groupes." %}</p>'
                ),
                *VISIBILITY_FIELDS,
                css_class="mb-4",
            ),
            Fieldset(_("Ce que je reçois"), "newsletter", "reminders_opt_out", css_class="mb-4"),
            Submit("submit", _("Enregistrer mes choix"), css_class="btn-soce"),
        )


# --- Directory search ----------------------------------------------------------------------------


def _year_or_promo_number(value: int | None) -> int | None:
    """Accepts an entry year (1979) or a promo number (179)."""
    if value is None:
        return None
    return value + PROMO_OFFSET if value < 1000 else value


class DirectorySearchForm(forms.Form):
    """Query-string names are part of the product (JOURNEYS.md): q, promo, campus, groupe, ville, pays, employeur."""

    q = forms.CharField(
        label=_("Nom"),
        required=False,
        max_length=100,
        help_text=_("Début du nom ou du prénom, par ex. « Dup » ou « Jean Dup »."),
    )
    promo = forms.CharField(
        label=_("Promotion"),
        required=False,
        max_length=20,
        help_text=_("Par ex. « Bo 179 », « bo179 » ou « Bo. 179 »."),
    )
    campus = forms.ChoiceField(label=_("Campus"), required=False)
    de = forms.IntegerField(
        label=_("Entrée à partir de"),
        required=False,
        min_value=1,
        max_value=MAX_ENTRY_YEAR,
        help_text=_("Année (1979) ou numéro de promo (179)."),
    )
    a = forms.IntegerField(label=_("Entrée jusqu'à"), required=False, min_value=1, max_value=MAX_ENTRY_YEAR)
    groupe = forms.ChoiceField(label=_("Groupe"), required=False)
    employeur = forms.CharField(label=_("Employeur"), required=False, max_length=100)
    ville = forms.CharField(label=_("Ville"), required=False, max_length=100)
    pays = forms.ChoiceField(label=_("Pays"), required=False)

    def __init__(self, *args, campuses: list[tuple[str, str]], groups: list[tuple[str, str, str]], **kwargs):
        """`campuses`: (code, name); `groups`: (slug, name, kind label), already ordered."""
        super().__init__(*args, **kwargs)
        self.campus_codes = {code.lower(): code for code, _name in campuses}
        self.fields["campus"].choices = [("", _("Tous")), *((code, f"{code} — {name}") for code, name in campuses)]
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for slug, name, kind in groups:
            by_kind.setdefault(kind, []).append((slug, name))
        self.fields["groupe"].choices = [("", _("Tous")), *by_kind.items()]
        self.fields["pays"].choices = [("", _("Tous")), *country_choices()]

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())

    def clean_promo(self) -> Promo | None:
        text = self.cleaned_data["promo"].strip()
        if not text:
            return None
        return parse_promo(text, campus_codes=self.campus_codes)

    def clean_de(self) -> int | None:
        return self._year("de")

    def clean_a(self) -> int | None:
        return self._year("a")

    def _year(self, name: str) -> int | None:
        year = _year_or_promo_number(self.cleaned_data.get(name))
        latest = timezone.localdate().year + 1
        if year is not None and not MIN_ENTRY_YEAR <= year <= latest:
            raise ValidationError(
                _("Année impossible : indiquez une année d'entrée entre %(min)d et %(max)d, ou un numéro de promo."),
                code="year",
                params={"min": MIN_ENTRY_YEAR, "max": latest},
            )
        return year

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("de"), data.get("a")
        if start and end and start > end:
            self.add_error("a", _("L'année de fin doit suivre l'année de début."))
        return data

    def has_criteria(self) -> bool:
        return self.is_bound and any(self.data.get(name, "").strip() for name in self.fields)


_COUNTRY_TABLE = """
AD Andorre
AE Émirats arabes unis
AF Afghanistan
AG Antigua-et-Barbuda
AI Anguilla
AL Albanie
AM Arménie
AO Angola
AQ Antarctique
AR Argentine
AS Samoa américaines
AT Autriche
AU Australie
AW Aruba
AX Îles d'Åland
AZ Azerbaïdjan
BA Bosnie-Herzégovine
BB Barbade
BD Bangladesh
BE Belgique
BF Burkina Faso
BG Bulgarie
BH Bahreïn
BI Burundi
BJ Bénin
BL Saint-Barthélemy
BM Bermudes
BN Brunei
BO Bolivie
BQ Bonaire, Saint-Eustache et Saba
BR Brésil
BS Bahamas
BT Bhoutan
BV Île Bouvet
BW Botswana
BY Biélorussie
BZ Belize
CA Canada
CC Îles Cocos
CD République démocratique du Congo
CF République centrafricaine
CG Congo
CH Suisse
CI Côte d'Ivoire
CK Îles Cook
CL Chili
CM Cameroun
CN Chine
CO Colombie
CR Costa Rica
CU Cuba
CV Cap-Vert
CW Curaçao
CX Île Christmas
CY Chypre
CZ Tchéquie
DE Allemagne
DJ Djibouti
DK Danemark
DM Dominique
DO République dominicaine
DZ Algérie
EC Équateur
EE Estonie
EG Égypte
EH Sahara occidental
ER Érythrée
ES Espagne
ET Éthiopie
FI Finlande
FJ Fidji
FK Îles Malouines
FM Micronésie
FO Îles Féroé
FR France
GA Gabon
GB Royaume-Uni
GD Grenade
GE Géorgie
GF Guyane française
GG Guernesey
GH Ghana
GI Gibraltar
GL Groenland
GM Gambie
GN Guinée
GP Guadeloupe
GQ Guinée équatoriale
GR Grèce
GS Géorgie du Sud et les îles Sandwich du Sud
GT Guatemala
GU Guam
GW Guinée-Bissau
GY Guyana
HK Hong Kong
HM Îles Heard-et-MacDonald
HN Honduras
HR Croatie
HT Haïti
HU Hongrie
ID Indonésie
IE Irlande
IL Israël
IM Île de Man
IN Inde
IO Territoire britannique de l'océan Indien
IQ Irak
IR Iran
IS Islande
IT Italie
JE Jersey
JM Jamaïque
JO Jordanie
JP Japon
KE Kenya
KG Kirghizistan
KH Cambodge
KI Kiribati
KM Comores
KN Saint-Christophe-et-Niévès
KP Corée du Nord
KR Corée du Sud
KW Koweït
KY Îles Caïmans
KZ Kazakhstan
LA Laos
LB Liban
LC Sainte-Lucie
LI Liechtenstein
LK Sri Lanka
LR Libéria
LS Lesotho
LT Lituanie
LU Luxembourg
LV Lettonie
LY Libye
MA Maroc
MC Monaco
MD Moldavie
ME Monténégro
MF Saint-Martin (partie française)
MG Madagascar
MH Îles Marshall
MK Macédoine du Nord
ML Mali
MM Birmanie
MN Mongolie
MO Macao
MP Îles Mariannes du Nord
MQ Martinique
MR Mauritanie
MS Montserrat
MT Malte
MU Maurice
MV Maldives
MW Malawi
MX Mexique
MY Malaisie
MZ Mozambique
NA Namibie
NC Nouvelle-Calédonie
NE Niger
NF Île Norfolk
NG Nigeria
NI Nicaragua
NL Pays-Bas
NO Norvège
NP Népal
NR Nauru
NU Nioue
NZ Nouvelle-Zélande
OM Oman
PA Panama
PE Pérou
PF Polynésie française
PG Papouasie-Nouvelle-Guinée
PH Philippines
PK Pakistan
PL Pologne
PM Saint-Pierre-et-Miquelon
PN Îles Pitcairn
PR Porto Rico
PS Palestine
PT Portugal
PW Palaos
PY Paraguay
QA Qatar
RE La Réunion
RO Roumanie
RS Serbie
RU Russie
RW Rwanda
SA Arabie saoudite
SB Îles Salomon
SC Seychelles
SD Soudan
SE Suède
SG Singapour
SH Sainte-Hélène, Ascension et Tristan da Cunha
SI Slovénie
SJ Svalbard et île Jan Mayen
SK Slovaquie
SL Sierra Leone
SM Saint-Marin
SN Sénégal
SO Somalie
SR Surinam
SS Soudan du Sud
ST Sao Tomé-et-Principe
SV Salvador
SX Saint-Martin (partie néerlandaise)
SY Syrie
SZ Eswatini
TC Îles Turques-et-Caïques
TD Tchad
TF Terres australes françaises
TG Togo
TH Thaïlande
TJ Tadjikistan
TK Tokelau
TL Timor oriental
TM Turkménistan
TN Tunisie
TO Tonga
TR Turquie
TT Trinité-et-Tobago
TV Tuvalu
TW Taïwan
TZ Tanzanie
UA Ukraine
UG Ouganda
UM Îles mineures éloignées des États-Unis
US États-Unis
UY Uruguay
UZ Ouzbékistan
VA Vatican
VC Saint-Vincent-et-les-Grenadines
VE Venezuela
VG Îles Vierges britanniques
VI Îles Vierges des États-Unis
VN Viêt Nam
VU Vanuatu
WF Wallis et Futuna
WS Samoa
YE Yémen
YT Mayotte
ZA Afrique du Sud
ZM Zambie
ZW Zimbabwe
"""
