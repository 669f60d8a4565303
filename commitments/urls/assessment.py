from django.urls import path

from commitments.views import assessment

urlpatterns = [
    path("assessments/<id:pk>/", assessment.assessment, name="assessment"),
    path("evidence/<id:pk>/", assessment.evidence, name="evidence"),
]
