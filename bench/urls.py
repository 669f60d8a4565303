"""The bench's URLconf: the app's own, plus the baseline page (bench/run.py sets ROOT_URLCONF
to this module, so the app's URLs are left as they are).

The baseline is the floor a page of this app stands on: the same 50 missions fetched by
primary key and a trivial template, through the same middleware, session and login. A page's
p95 is reported as a multiple of this one's, which takes the machine out of the comparison.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns
from missions.models import Mission

TEMPLATE = engines["django"].from_string(
    "<ul>{% for mission in missions %}<li>{{ mission.pk }} {{ mission.title }}</li>"
    "{% endfor %}</ul>"
)
# Set by bench/run.py once the missions exist: the same 50 at every request.
BASELINE_PKS: list[int] = []


@login_required
def baseline(request):
    # Whole rows: .only() would cost a query a mission (django-fsm's ConcurrentTransition
    # mixin reads the deferred status in __init__).
    missions = list(Mission.objects.filter(pk__in=BASELINE_PKS))
    return HttpResponse(TEMPLATE.render({"missions": missions}, request))


urlpatterns = [path("bench/baseline/", baseline), *app_urlpatterns]
