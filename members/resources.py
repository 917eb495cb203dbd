"""Imports et exports CSV/XLSX (django-import-export).

Un import est tout ou rien : l'aperçu (essai à blanc) liste chaque ligne fautive avec son motif en
français, et rien n'est écrit tant qu'une seule ligne est fausse (transactions, voir les réglages).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from soce.lib.exceptions import BusinessError

from . import services
from .models import Campus, Category, Cotisation, Member, Payment, PaymentMethod, TaxReceipt
from .promo import parse_promo

METHOD_ALIASES = {
    "cheque": "cheque",
    "chèque": "cheque",
    "chq": "cheque",
    "virement": "transfer",
    "transfer": "transfer",
    "vir": "transfer",
    "carte": "card",
    "cb": "card",
    "card": "card",
    "carte bancaire": "card",
    "prelevement": "direct_debit",
    "prélèvement": "direct_debit",
    "direct_debit": "direct_debit",
    "especes": "cash",
    "espèces": "cash",
    "cash": "cash",
    "en ligne": "online",
    "online": "online",
}


def parse_amount(value) -> Decimal:
    text = str(value or "").strip().replace("€", "").replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"Montant illisible : « {value} ».") from None
    if amount <= 0:
        raise ValidationError(f"Le montant doit être positif (« {value} »).")
    return amount


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValidationError(f"Date illisible : « {value} » (attendu JJ/MM/AAAA).")


class CachedForeignKeyWidget(widgets.ForeignKeyWidget):
    """ForeignKeyWidget that reads its (small) table once per import instead of one SELECT per row."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if not hasattr(self, "_by_key"):
            self._by_key = {str(getattr(obj, self.field)): obj for obj in self.model.objects.all()}
        try:
            return self._by_key[str(value)]
        except KeyError:
            raise ValueError(f"{self.model._meta.verbose_name} inconnu(e) : « {value} ».") from None


class MemberResource(resources.ModelResource):
    """New graduates and other people: one row per person, matched on the e-mail.

    Built for 50,000 rows in well under a minute: categories, campuses and existing members are read once
    per import; full_clean() runs on every row without its per-row queries (the one constraint an import
    can break is checked in Python); rows are written in batches with their history rows.
    """

    promo = fields.Field(column_name="promo", attribute="promo_label", readonly=True)
    categorie = fields.Field(
        column_name="categorie", attribute="category", widget=CachedForeignKeyWidget(Category, field="code")
    )
    campus = fields.Field(column_name="campus", attribute="campus", widget=CachedForeignKeyWidget(Campus, field="pk"))

    class Meta:
        model = Member
        import_id_fields = ("email",)
        fields = (
            "civility",
            "first_name",
            "last_name",
            "birth_name",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "birth_date",
            "graduation_year",
            "employer",
            "position",
            "sector",
            "promo",
            "categorie",
            "campus",
            "entry_year",
        )
        export_order = ("last_name", "first_name", "promo", "categorie", "email", "city", "country")
        instance_loader_class = CachedInstanceLoader
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        skip_unchanged = False
        use_transactions = True

    def before_import(self, dataset, **kwargs):
        self._category_codes = set(Category.objects.values_list("code", flat=True))
        self._campus_ids = dict(Campus.objects.values_list("code", "pk"))
        self._codes = {code.lower(): code for code in self._campus_ids}
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        if not (row.get("email") or "").strip():
            raise ValidationError({"email": "L'e-mail est obligatoire pour importer une personne."})
        row["email"] = row["email"].strip().lower()
        if not (row.get("categorie") or "").strip():
            row["categorie"] = "gadzarts"
        if row["categorie"] not in self._category_codes:
            raise ValidationError({"categorie": f"Catégorie inconnue : « {row['categorie']} »."})
        label = (row.get("promo") or "").strip()
        if label:
            try:
                promo = parse_promo(label, campus_codes=self._codes)
            except ValidationError as exc:
                raise ValidationError({"promo": exc.messages}) from None
            row["campus"] = self._campus_ids[promo.campus_code]
            row["entry_year"] = promo.entry_year
        row["country"] = (row.get("country") or "FR").strip().upper()[:2]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # full_clean() without its per-row queries: validate_unique (a SELECT for public_id, a fresh uuid4)
        # and validate_constraints (one `SELECT 1 WHERE …` per CheckConstraint).
        errors = dict(import_validation_errors or {})
        try:
            exclude = {*errors.keys(), "category", "campus"}  # resolved by the cached widgets above
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if instance.entry_year and instance.graduation_year and instance.graduation_year < instance.entry_year:
            errors.setdefault("graduation_year", []).append("L'année de diplôme précède l'année d'entrée.")
        if errors:
            raise ValidationError(errors)

    def get_bulk_update_fields(self):
        ids = set(self.get_import_id_fields())
        return [f.attribute for name, f in self.fields.items() if name not in ids and not f.readonly and f.attribute]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.create_instances and (using_transactions or not dry_run):
            try:
                bulk_create_with_history(self.create_instances, Member, batch_size=batch_size or 1000)
            except Exception as exc:  # import-export's contract: report on the result, do not raise
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.update_instances and (using_transactions or not dry_run):
            try:
                bulk_update_with_history(
                    self.update_instances, Member, self.get_bulk_update_fields(), batch_size=batch_size or 1000
                )
            except Exception as exc:  # import-export's contract: report on the result, do not raise
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.update_instances.clear()


class CotisationRefWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Cotisation, field="transfer_reference")

    def clean(self, value, row=None, **kwargs):
        ref = str(value or "").strip().upper()
        if not ref:
            raise ValueError("Référence de cotisation manquante.")
        cotisation = Cotisation.objects.filter(transfer_reference=ref).first()
        if cotisation is None:
            raise ValueError(f"Aucune cotisation ne porte la référence « {ref} ».")
        return cotisation


class PaymentResource(resources.ModelResource):
    """A batch of cheques or a bank statement: each row records a payment through the service."""

    reference_cotisation = fields.Field(
        column_name="reference_cotisation", attribute="cotisation", widget=CotisationRefWidget()
    )
    montant = fields.Field(column_name="montant", attribute="amount_eur")
    moyen = fields.Field(column_name="moyen", attribute="method")
    date = fields.Field(column_name="date", attribute="paid_on")
    reference = fields.Field(column_name="reference", attribute="reference")

    class Meta:
        model = Payment
        fields = ("reference_cotisation", "montant", "moyen", "date", "reference")
        import_id_fields = ()
        use_transactions = True
        skip_diff = True

    def get_instance(self, instance_loader, row):
        return None  # every row is a new payment

    def before_import_row(self, row, **kwargs):
        errors = {}
        try:
            row["montant"] = parse_amount(row.get("montant"))
        except ValidationError as exc:
            errors["montant"] = exc.messages
        method = METHOD_ALIASES.get(str(row.get("moyen") or "").strip().lower())
        if method is None:
            errors["moyen"] = [f"Moyen de paiement inconnu : « {row.get('moyen')} » (chèque, virement, carte…)."]
        else:
            row["moyen"] = method
        try:
            row["date"] = parse_date(row.get("date"))
        except ValidationError as exc:
            errors["date"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        # The service locks the cotisation, checks it, and updates statuses; in a dry run the
        # surrounding transaction is rolled back, so the preview tells exactly what would happen.
        try:
            payment = services.payment_record(
                cotisation=instance.cotisation,
                amount_eur=instance.amount_eur,
                method=instance.method,
                paid_on=instance.paid_on,
                reference=instance.reference or "",
                note="Import",
                by=kwargs.get("user"),
            )
        except BusinessError as exc:
            raise ValidationError(str(exc)) from None
        instance.pk = payment.pk
        instance.recorded_at = payment.recorded_at


class TaxReceiptResource(resources.ModelResource):
    """The year's receipts for the association's declaration to the tax administration (the admin exports the
    valid ones only: a cancelled receipt keeps its number but is not declared)."""

    numero = fields.Field(column_name="numéro", attribute="number")
    date = fields.Field(column_name="date d'émission", attribute="issued_at", widget=widgets.DateWidget("%d/%m/%Y"))
    nom = fields.Field(column_name="nom", attribute="donor__last_name")
    prenom = fields.Field(column_name="prénom", attribute="donor__first_name")
    code_postal = fields.Field(column_name="code postal", attribute="donor__postal_code")
    ville = fields.Field(column_name="ville", attribute="donor__city")
    pays = fields.Field(column_name="pays", attribute="donor__country")
    montant = fields.Field(column_name="montant", attribute="amount_eur")
    dont_cotisation = fields.Field(column_name="dont cotisation", attribute="dues_eur")
    dont_don = fields.Field(column_name="dont don", attribute="gift_eur")
    mode = fields.Field(column_name="mode de versement", attribute="payment_method")

    class Meta:
        model = TaxReceipt
        fields = (
            "numero",
            "date",
            "nom",
            "prenom",
            "code_postal",
            "ville",
            "pays",
            "montant",
            "dont_cotisation",
            "dont_don",
            "mode",
        )

    def export_field(self, field, instance, **kwargs):
        attr = field.attribute
        if attr.startswith("donor__"):
            return instance.donor.get(attr.split("__", 1)[1], "")
        if attr == "payment_method":
            return PaymentMethod(instance.payment_method).label
        return super().export_field(field, instance, **kwargs)
