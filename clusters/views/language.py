"""The language switcher on every page: Django's own view sets the cookie (kept for an
anonymous visitor too) and goes back; a signed-in user's choice is also kept for them."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from clusters.language import LANGUAGE_CODES, language_choose


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    response = set_language(request)
    language = request.POST.get("language", "")
    if language in LANGUAGE_CODES:
        language_choose(request, language)
    return response
