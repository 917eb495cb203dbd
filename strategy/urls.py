from django.urls import path

from . import views

app_name = "strategy"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("pdf/", views.dashboard_pdf, name="dashboard_pdf"),
    path("communaute/", views.community, name="community"),
    path("ambitions/<str:code>/", views.ambition, name="ambition"),
    path("objectifs/<str:code>/", views.objective, name="objective"),
    path("objectifs/<str:code>/point-d-etape/", views.checkin, name="checkin"),
    path("indicateurs/<slug:code>/", views.indicator, name="indicator"),
    path("indicateurs/<slug:code>/saisir/", views.value_enter, name="value_enter"),
    path("indicateurs/<slug:code>/cibles/", views.target_set, name="target_set"),
    path("valeurs/<uuid:public_id>/corriger/", views.value_correct, name="value_correct"),
    path("valeurs/<uuid:public_id>/valider/", views.value_approve, name="value_approve"),
    path("valeurs/<uuid:public_id>/refuser/", views.value_reject, name="value_reject"),
    path("valeurs/<uuid:public_id>/justificatif/", views.value_evidence, name="value_evidence"),
    path("actions/", views.actions, name="actions"),
    path("actions/<int:pk>/", views.action, name="action"),
    path("mon-suivi/", views.my_work, name="my_work"),
    path("dossiers/", views.board_packs, name="board_packs"),
    path("dossiers/<uuid:reference>/pdf/", views.board_pack_pdf, name="board_pack_pdf"),
    path("dossiers/<uuid:reference>/chiffres.json", views.board_pack_figures, name="board_pack_figures"),
    path("dossiers/<uuid:reference>/verification/", views.board_pack_verify, name="board_pack_verify"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
    path("actualiser/", views.live_refresh, name="live_refresh"),
]
