"""Lessons and good practice on the web: the search page, one lesson, and recording one on a
mission. Thin: parse, call missions.lessons, render. Out of scope, or the recording page of
someone who may not record, is a 404; their POST is refused (403) with the service's message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clusters.form_errors import errors_onto
from missions.forms.lessons import LessonForm, LessonSearchForm
from missions.selectors.lessons import get_lesson_for, lesson_search, lessons_mark_missions
from missions.selectors.missions import get_mission_for
from missions.services.lessons import NOT_A_WRITER, lesson_add, lesson_may_add, lessons_open

PAGE_SIZE = 20


@login_required
def lesson_list(request: HttpRequest) -> HttpResponse:
    form = LessonSearchForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else {}
    lessons = lesson_search(request.user, **filters)
    page = Paginator(lessons, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = lessons_mark_missions(request.user, page.object_list)
    return render(
        request,
        "missions/lessons/lesson_list.html",
        {"form": form, "page": page, "filtered": any(filters.values())},
    )


@login_required
def lesson_detail(request: HttpRequest, lesson_pk: int) -> HttpResponse:
    lesson = get_lesson_for(request.user, lesson_pk)
    return render(request, "missions/lessons/lesson_detail.html", {"lesson": lesson})


@login_required
def lesson_new(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if not lesson_may_add(mission, request.user):
        if request.method == "POST":
            raise PermissionDenied(NOT_A_WRITER)
        raise Http404("No such page.")
    form = LessonForm(request.POST or None, initial={"clusters": mission.requested_clusters.all()})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            lesson = lesson_add(mission, request.user, **form.cleaned_data)
        except ValidationError as problem:
            rest = errors_onto(form, problem)
            if hasattr(problem, "error_dict"):
                if rest:
                    form.add_error(None, rest)
            else:
                error = rest
        else:
            messages.success(request, _("Thank you: the lesson is recorded for the next teams."))
            return redirect("lessons:detail", lesson_pk=lesson.pk)
    return render(
        request,
        "missions/lessons/lesson_form.html",
        {"form": form, "mission": mission, "open": lessons_open(mission), "error": error},
    )
