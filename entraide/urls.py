app_name = "entraide"
urlpatterns: list = []
