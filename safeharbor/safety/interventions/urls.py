from django.urls import path

from safeharbor.safety.interventions import views

urlpatterns = [
    path("", views.index_view, name="interventions"),
    path("<str:locale>/", views.locale_view, name="interventions_locale"),
    path("<str:locale>/edit/", views.edit_view, name="interventions_edit"),
    path("<str:locale>/v<int:number>/", views.version_view, name="interventions_version"),
    path("<str:locale>/v<int:number>/restore/", views.restore_view, name="interventions_restore"),
]
