"""The report's distribution on the web: the leader's and HCSS's page (who has had which
version, and how each e-mail fared), and the recipients' personal download links, which need
no login.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from clusters.files import private_file_response
from formats.uploads import clean_filename
from missions.selectors.missions import get_mission_for
from missions.selectors.report import edits_distribution, report_final
from reports.models import Delivery, Document
from reports.selectors.distribution import (
    LinkExpired,
    delivery_for_token,
    distribution_rows,
    recipients_without,
    report_contacts,
)
from reports.services.distribution import (
    DISTRIBUTED_STATES,
    delivery_downloaded,
    delivery_prepare,
    delivery_resend,
    distribution_send,
)

# Seconds before the "being prepared" page reloads itself.
PREPARING_REFRESH_SECONDS = 60


@login_required
@require_http_methods(["GET", "POST"])
def distribution_page(request: HttpRequest, mission_pk: int) -> HttpResponse:
    """GET lists each delivery of the report (pending, sent, failed and retried, downloaded);
    POST sends the current final version to everyone on the list not yet sent it."""
    mission = get_mission_for(request.user, mission_pk)
    if not edits_distribution(request.user, mission):
        raise PermissionDenied(
            _("Only the mission's leader and HCSS follow and send the report's distribution.")
        )
    if request.method == "POST":
        if "resend" in request.POST:
            _resend(request, mission)
            return redirect("reports:distribution", mission_pk=mission.pk)
        try:
            made = distribution_send(mission, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if made:
                messages.success(
                    request,
                    ngettext(
                        "The report goes to %(count)d address.",
                        "The report goes to %(count)d addresses.",
                        len(made),
                    )
                    % {"count": len(made)},
                )
            else:
                messages.info(request, _("Everyone on the list has had this version already."))
        return redirect("reports:distribution", mission_pk=mission.pk)
    final = report_final(mission)
    waiting = list(recipients_without(mission, final.number)) if final else []
    return render(
        request,
        "reports/distribution/distribution.html",
        {
            "mission": mission,
            "final": final,
            "rows": distribution_rows(mission),
            "waiting": waiting,
            "distributed": mission.status in DISTRIBUTED_STATES,
        },
    )


def _resend(request: HttpRequest, mission) -> None:
    try:
        delivery = delivery_resend(mission, request.user, int(request.POST["resend"]))
    except (ValueError, OverflowError):
        messages.error(request, _("Choose whom to send a new link to."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("A new link goes to %(name)s <%(email)s>.")
            % {"name": delivery.name, "email": delivery.email},
        )


def _private(response: HttpResponse) -> HttpResponse:
    # The link is personal: never cached by others, never sent on as a referrer.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def delivery_download(request: HttpRequest, token: str) -> HttpResponse:
    """A recipient's personal link: the report's PDF, once it is ready. An expired link says
    whom to ask (410); a link that is not one of ours is not found."""
    try:
        delivery = delivery_for_token(token)
    except LinkExpired as expired:
        context = {
            "mission": expired.delivery.mission,
            "contacts": report_contacts(expired.delivery.mission),
            "valid_days": settings.ICSM_REPORT_LINK_DAYS,
        }
        return _private(
            render(request, "reports/distribution/link_expired.html", context, status=410)
        )
    except Delivery.DoesNotExist:
        raise Http404(_("No such link.")) from None
    document = delivery_prepare(delivery)
    if document.status != Document.Status.READY:
        response = render(
            request,
            "reports/distribution/preparing.html",
            {"mission": delivery.mission, "refresh": PREPARING_REFRESH_SECONDS},
        )
        response["Refresh"] = str(PREPARING_REFRESH_SECONDS)
        return _private(response)
    title = delivery.mission.title.replace("/", "-").replace("\\", "-")
    name = clean_filename(
        _("Mission report - %(title)s - v%(number)s.pdf")
        % {"title": title, "number": delivery.version}
    )
    # Recipients are not signed in: their downloads are the delivery's to count, not the
    # audit log's (clusters.files).
    response = private_file_response(
        request, document.file, name, "application/pdf", uploader_id=document.requested_by_id
    )
    # Counted once the file is open: a missing file (a 404) is no download.
    delivery_downloaded(delivery)
    return _private(response)
