"""Chiffres d'avant l'application, tirés du rapport annuel 2019 de la Soce (voir DOMAIN.md).

Ils complètent les séries du panneau « membres et communauté » pour les années où l'application
n'a pas de donnée : 16 700 cotisants en 2019, 15 567 en 2018, soit 699 de moins qu'en 2017 ;
5 215 cotisants JP en 2019, 340 de plus qu'en 2018 ; 297 k€ donnés ou prêtés par l'entraide en 2019
(le rapport ne sépare pas les dons des prêts : le chiffre va à la série « donnés ou prêtés »).
"""

from decimal import Decimal

SOURCE_NOTE = "Rapport annuel 2019 de la Soce"

PAYERS = {2017: Decimal(16266), 2018: Decimal(15567), 2019: Decimal(16700)}
JP_PAYERS = {2018: Decimal(4875), 2019: Decimal(5215)}
JP_SHARE = {year: (JP_PAYERS[year] / PAYERS[year] * 100).quantize(Decimal("0.1")) for year in JP_PAYERS}
ENTRAIDE_GIVEN_OR_LENT_EUR = {2019: Decimal(297000)}

ANNUAL_REPORT_2019: dict[str, dict[int, Decimal]] = {
    "members.payers": PAYERS,
    "members.jp_payers": JP_PAYERS,
    "members.jp_share": JP_SHARE,
    "entraide.given_or_lent_eur": ENTRAIDE_GIVEN_OR_LENT_EUR,
}
