from django.urls import path

from . import views

urlpatterns = [
    path("page/", views.page),
    path("orm/", views.orm),
    path("json/", views.fixed_json),
]
