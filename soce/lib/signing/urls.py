"""Vérification publique des documents scellés (/verifier/)."""

app_name = "signing"
urlpatterns: list = []
