from django.urls import path

from . import views

app_name = "volunteers"
urlpatterns = [
    path("", views.home, name="home"),
    path("engagements/<uuid:public_id>/accepter/", views.engagement_accept, name="engagement_accept"),
    path("engagements/<uuid:public_id>/preavis/", views.engagement_notice, name="engagement_notice"),
    path("charte/", views.charter, name="charter"),
    path("charte/<uuid:public_id>/", views.charter_step, name="charter_step"),
    path("charte/<uuid:public_id>/code/", views.charter_code, name="charter_code"),
    path("charte/<uuid:public_id>/code/renvoyer/", views.charter_resend, name="charter_resend"),
    path("charte/<uuid:public_id>/signer/", views.charter_sign, name="charter_sign"),
    path("charte/<uuid:public_id>/refuser/", views.charter_decline, name="charter_decline"),
    path("charte/<uuid:public_id>/pdf/", views.charter_pdf, name="charter_pdf"),
    path("contresignature/", views.countersign_queue, name="countersign_queue"),
    path("contresignature/<uuid:public_id>/", views.countersign, name="countersign"),
    path("contresignature/<uuid:public_id>/prendre/", views.countersign_take, name="countersign_take"),
    path("contresignature/<uuid:public_id>/code/", views.countersign_code, name="countersign_code"),
    path("contresignature/<uuid:public_id>/code/renvoyer/", views.countersign_resend, name="countersign_resend"),
    path("contresignature/<uuid:public_id>/signer/", views.countersign_sign, name="countersign_sign"),
    path("bilans/<uuid:public_id>/", views.review, name="review"),
]
