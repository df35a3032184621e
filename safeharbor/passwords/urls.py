from django.urls import path

from safeharbor.passwords import views

app_name = "passwords"

urlpatterns = [
    path("meter/", views.meter_view, name="meter"),
    path("policy/", views.policy_view, name="policy"),
]
