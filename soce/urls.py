from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from soce.lib import views as core_views

admin.site.site_header = _("Soce — administration")
admin.site.site_title = _("Soce")
admin.site.index_title = _("Back-office de la Société des ingénieurs Arts et Métiers")
admin.site.site_url = "/"
# The admin login goes through allauth, so that the second factor is always asked.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("verifier/", include("soce.lib.signing.urls")),
    path("benevolat/", include("volunteers.urls")),
    path("entraide/", include("entraide.urls")),
    path("pilotage/", include("strategy.urls")),
    path("", include("members.urls")),
]

handler403 = "soce.lib.views.error_403"
handler404 = "soce.lib.views.error_404"
handler500 = "soce.lib.views.error_500"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
