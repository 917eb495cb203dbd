"""Vérification publique des documents scellés (/verifier/)."""

from django.urls import path

from . import views

app_name = "signing"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("racine.pem", views.root_certificate, name="root_pem"),
    path("<str:reference>/", views.result, name="result"),
]
