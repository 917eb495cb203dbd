from django.urls import path

from . import views, views_staff

app_name = "entraide"
urlpatterns = [
    # Portail du membre
    path("", views.home, name="home"),
    path("demande/", views.request_new, name="request"),
    path("dossiers/<uuid:ref>/", views.case_detail, name="case"),
    path("prets/<uuid:ref>/", views.loan_detail, name="loan"),
    path("prets/<uuid:ref>/contrat/", views.contract, name="contract"),
    path("prets/<uuid:ref>/contrat/signature/", views.contract_step, name="contract_step"),
    path("prets/<uuid:ref>/contrat/code/", views.contract_code, name="contract_code"),
    path("prets/<uuid:ref>/contrat/nouveau-code/", views.contract_resend, name="contract_resend"),
    path("prets/<uuid:ref>/contrat/signer/", views.contract_sign, name="contract_sign"),
    path("prets/<uuid:ref>/contrat/refus/", views.contract_decline, name="contract_decline"),
    path("prets/<uuid:ref>/contrat.pdf", views.contract_pdf, name="contract_pdf"),
    path("avis/<uuid:ref>/", views.opinion, name="opinion"),
    path("pieces/<uuid:ref>/", views.document_download, name="document"),
    # Service entraide
    path("gestion/", views_staff.Dashboard.as_view(), name="staff_home"),
    path("gestion/dossiers/", views_staff.CaseList.as_view(), name="staff_cases"),
    path("gestion/dossiers/nouveau/<uuid:ref>/", views_staff.TriageCase.as_view(), name="staff_triage"),
    path("gestion/dossiers/<uuid:ref>/", views_staff.CaseDetail.as_view(), name="staff_case"),
    path("gestion/dossiers/<uuid:ref>/acces/", views_staff.CaseAccessLog.as_view(), name="staff_case_access"),
    path("gestion/dossiers/<uuid:ref>/<slug:action>/", views_staff.CaseAction.as_view(), name="staff_case_action"),
    path("gestion/avis/<uuid:ref>/lever/", views_staff.OpinionWaive.as_view(), name="staff_opinion_waive"),
    path("gestion/urgences/<int:pk>/accord/", views_staff.UrgentApprove.as_view(), name="staff_urgent_approve"),
    path("gestion/seances/", views_staff.SessionList.as_view(), name="staff_sessions"),
    path("gestion/seances/<uuid:ref>/", views_staff.SessionDetail.as_view(), name="staff_session"),
    path("gestion/seances/<uuid:ref>/pv.pdf", views_staff.SessionMinutes.as_view(), name="staff_session_minutes"),
    path("gestion/seances/<uuid:ref>/<slug:action>/", views_staff.SessionAction.as_view(), name="staff_session_action"),
    path("gestion/paiements/", views_staff.Payments.as_view(), name="staff_payments"),
    path(
        "gestion/paiements/<slug:kind>/<uuid:ref>/<slug:action>/",
        views_staff.PaymentAction.as_view(),
        name="staff_payment_action",
    ),
    path("gestion/prets/", views_staff.LoanList.as_view(), name="staff_loans"),
    path("gestion/prets/<uuid:ref>/", views_staff.LoanDetail.as_view(), name="staff_loan"),
    path("gestion/prets/<uuid:ref>/<slug:action>/", views_staff.LoanAction.as_view(), name="staff_loan_action"),
    path("gestion/cautions/", views_staff.GuaranteeList.as_view(), name="staff_guarantees"),
    path("gestion/cautions/<uuid:ref>/", views_staff.GuaranteeDetail.as_view(), name="staff_guarantee"),
    path(
        "gestion/cautions/<uuid:ref>/<slug:action>/",
        views_staff.GuaranteeAction.as_view(),
        name="staff_guarantee_action",
    ),
]
