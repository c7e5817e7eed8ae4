"""Template context every page gets: the project's name, for the header and titles.

https://docs.djangoproject.com/en/5.2/ref/templates/api/#writing-your-own-context-processors
"""

from django.conf import settings


def project(request):
    return {"project_name": settings.PROJECT_NAME}
