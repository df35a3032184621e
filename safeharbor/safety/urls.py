from django.urls import include, path

app_name = "safety"

urlpatterns: list = [
    path("staff/directory/", include("safeharbor.safety.directory_urls")),
    path("staff/interventions/", include("safeharbor.safety.interventions.urls")),
]
