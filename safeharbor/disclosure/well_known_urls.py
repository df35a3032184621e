"""/.well-known/ addresses served by the disclosure program (RFC 8615)."""

from django.urls import path

from safeharbor.disclosure import views

urlpatterns = [path("security.txt", views.security_txt_view, name="security_txt")]
