from django.urls import path

from . import views, views_directory, views_profile

urlpatterns = [
    path("", views.home, name="home"),
    path("profil/", views_profile.profile_edit, name="profile"),
    path("profil/confidentialite/", views_profile.privacy, name="privacy"),
    path("profil/mes-donnees/", views_profile.my_data, name="my_data"),
    path("cotisation/", views.dues, name="dues"),
    path("cotisation/renouveler/", views.dues_renew, name="dues_renew"),
    path("cotisation/recu/<uuid:public_id>/", views.receipt_pdf, name="receipt_pdf"),
    path("cotisation/attestation/<int:year>/", views.certificate_pdf, name="certificate_pdf"),
    path("renouveler/<str:token>/", views.renew_with_token, name="renew_token"),
    path("desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("annuaire/", views_directory.directory, name="directory"),
    path("groupes/<slug:slug>/", views_directory.group_detail, name="group_detail"),
    path("groupes/<slug:slug>/export/", views_directory.group_export, name="group_export"),
]
