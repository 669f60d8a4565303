"""The audit log: a row for each event HCSS must be able to trace (signing in, a failed try,
signing out, a role granted or revoked, a change in the admin, a file downloaded by someone
other than its uploader, a password changed or its reset asked for), and no path that edits
one: not the model, not its queryset, not the admin, not raw SQL on PostgreSQL."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from clusters.models import AuditEvent, AuditLogIsAppendOnly, Country, Role
from clusters.security import second_factor_failed, second_factor_verified
from clusters.services import (
    audit_password_reset_requested,
    audit_sign_in_failed,
    role_grant,
    role_revoke,
)
from missions.services.intake import attachment_add
from tests.factories import UserFactory, make_mission

Kind = AuditEvent.Kind
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("pk"))


def content_type_of(model) -> ContentType:
    return ContentType.objects.get_for_model(model)


@pytest.fixture
def amina(db):
    return UserFactory(username="amina")  # password "pw"


# Signing in and out -----------------------------------------------------------------------


def test_signing_in_through_the_login_page_is_recorded_with_the_address(client, amina):
    response = client.post(reverse("login"), {"username": "amina", "password": "pw"})
    assert response.status_code == 302
    [event] = events(Kind.SIGN_IN)
    assert (event.user, event.username, event.remote_addr) == (amina, "amina", "127.0.0.1")


def test_a_wrong_password_is_recorded_under_the_name_typed_with_the_account_it_names(client, amina):
    response = client.post(reverse("login"), {"username": "amina", "password": "guess"})
    assert response.status_code == 200
    assert not events(Kind.SIGN_IN)
    [event] = events(Kind.SIGN_IN_FAILED)
    assert event.user is None  # nobody signed in
    assert (event.username, event.remote_addr) == ("amina", "127.0.0.1")
    assert (event.content_type, event.object_id) == (content_type_of(amina), str(amina.pk))


def test_a_try_on_a_name_nobody_has_is_recorded_as_typed(client, db):
    client.post(reverse("login"), {"username": "nobody-here", "password": "guess"})
    [event] = events(Kind.SIGN_IN_FAILED)
    assert (event.user, event.username, event.object_id) == (None, "nobody-here", "")


def test_a_name_typed_in_anything_but_the_form_is_kept_printable_and_cut_to_the_column(db):
    event = audit_sign_in_failed(None, "r\x00oot\n" + "x" * 300)
    assert event.username == "root" + "x" * 146
    assert event.remote_addr is None


def test_signing_out_is_recorded(client, amina):
    client.post(reverse("login"), {"username": "amina", "password": "pw"})
    client.post(reverse("logout"))
    [event] = events(Kind.SIGN_OUT)
    assert (event.user, event.remote_addr) == (amina, "127.0.0.1")


def test_the_second_factor_passed_or_refused_is_recorded(amina):
    request = RequestFactory().post("/account/two-factor/", REMOTE_ADDR="10.1.2.3")
    second_factor_verified.send(sender=type(amina), request=request, user=amina)
    second_factor_failed.send(sender=None, request=request, user=amina)
    [passed], [failed] = events(Kind.SECOND_FACTOR_PASSED), events(Kind.SECOND_FACTOR_FAILED)
    assert (passed.user, passed.remote_addr) == (amina, "10.1.2.3")
    assert (failed.user, failed.remote_addr) == (amina, "10.1.2.3")


# Passwords ----------------------------------------------------------------------------------


def test_a_password_change_is_recorded_once_and_a_new_accounts_first_password_is_not(db):
    user = get_user_model().objects.create_user("newcomer", password="first-password")
    assert not events(Kind.PASSWORD_CHANGED)
    user.set_password("a-new-long-password")
    user.save()
    user.save()  # saved again, not changed again
    [event] = events(Kind.PASSWORD_CHANGED)
    assert (event.user, event.content_type) == (user, content_type_of(user))


def test_the_reset_form_records_each_request(client, amina):
    client.post(reverse("password_reset"), {"email": "amina@example.org"})
    [event] = events(Kind.PASSWORD_RESET_REQUESTED)
    assert event.object_id == str(amina.pk)


def test_a_password_reset_asked_for_is_recorded_whether_or_not_an_account_has_the_address(
    amina,
):
    request = RequestFactory().post("/account/password-reset/", REMOTE_ADDR="10.1.2.3")
    audit_password_reset_requested(request, "AMINA@example.org")
    audit_password_reset_requested(request, "nobody@example.org")
    known, unknown = events(Kind.PASSWORD_RESET_REQUESTED)
    assert (known.username, known.object_id, known.detail) == (
        "AMINA@example.org",
        str(amina.pk),
        {"accounts": 1},
    )
    assert (unknown.object_id, unknown.detail, unknown.remote_addr) == (
        "",
        {"accounts": 0},
        "10.1.2.3",
    )


# Roles --------------------------------------------------------------------------------------


def test_a_role_granted_and_revoked_is_recorded_with_who_did_it(amina):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    pakistan = Country.objects.get(code="PAK")
    role_grant(amina, Role.RC_HC, by=root, country=pakistan)
    role_grant(amina, Role.RC_HC, by=root, country=pakistan)  # held already: nothing changed
    role_revoke(amina, Role.RC_HC, by=root, country=pakistan)
    [granted], [revoked] = events(Kind.ROLE_GRANTED), events(Kind.ROLE_REVOKED)
    for event in (granted, revoked):
        assert (event.user, event.username) == (root, "root")
        assert (event.content_type, event.object_id) == (content_type_of(amina), str(amina.pk))
        assert event.detail == {"role": "rc_hc", "scope": "Pakistan"}


def test_a_role_given_at_the_command_line_is_recorded_without_a_user(amina):
    role_grant(amina, Role.TASK_TEAM)
    [event] = events(Kind.ROLE_GRANTED)
    assert (event.user, event.object_repr) == (None, "amina")


# The admin ----------------------------------------------------------------------------------


def admin_changes() -> list[tuple[str, str]]:
    return [(event.detail["action"], event.object_repr) for event in events(Kind.ADMIN_CHANGE)]


def test_adding_changing_and_deleting_in_the_admin_are_recorded(client, cast):
    client.force_login(cast["hcss"])
    response = client.post(
        reverse("admin:clusters_country_add"), {"code": "ATL", "name": "Atlantis"}
    )
    assert response.status_code == 302
    atlantis = Country.objects.get(code="ATL")
    client.post(
        reverse("admin:clusters_country_change", args=[atlantis.pk]),
        {"code": "ATL", "name": "Atlantis (North)"},
    )
    client.post(reverse("admin:clusters_country_delete", args=[atlantis.pk]), {"post": "yes"})
    assert not Country.objects.filter(code="ATL").exists()
    assert admin_changes() == [
        ("add", "Atlantis"),
        ("change", "Atlantis (North)"),
        ("delete", "Atlantis (North)"),
    ]
    for event in events(Kind.ADMIN_CHANGE):
        assert (event.user, event.content_type) == (cast["hcss"], content_type_of(Country))
        assert event.object_id == str(atlantis.pk)
        assert event.detail["log_entry"] in LogEntry.objects.values_list("pk", flat=True)
    assert "Changed Name." in events(Kind.ADMIN_CHANGE)[1].detail["message"]


@pytest.mark.parametrize("count", [1, 3])
def test_deleting_several_at_once_in_the_admin_records_each_once(client, cast, count):
    # Django logs several deletions with one bulk_create, which sends no post_save.
    countries = [Country.objects.create(code=f"X{n}", name=f"Island {n}") for n in range(count)]
    client.force_login(cast["hcss"])
    response = client.post(
        reverse("admin:clusters_country_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [country.pk for country in countries],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Country.objects.filter(code__startswith="X").exists()
    assert sorted(admin_changes()) == [("delete", f"Island {n}") for n in range(count)]


# Downloads ----------------------------------------------------------------------------------


@pytest.fixture
def attachment(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    upload = SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf")
    return attachment_add(make_mission("PAK"), cast["rc_hc_pakistan"], upload, "hct_minutes")


def download(client, user, attachment):
    client.force_login(user)
    url = reverse("missions:attachment", args=[attachment.mission_id, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_a_download_by_another_user_is_recorded_and_the_uploaders_own_is_not(
    client, cast, attachment
):
    download(client, cast["rc_hc_pakistan"], attachment)  # the uploader
    assert not events(Kind.FILE_DOWNLOAD)
    download(client, cast["hct_pakistan"], attachment)
    [event] = events(Kind.FILE_DOWNLOAD)
    assert (event.user, event.remote_addr) == (cast["hct_pakistan"], "127.0.0.1")
    assert (event.content_type, event.object_id) == (
        content_type_of(attachment),
        str(attachment.pk),
    )
    assert event.object_repr == "minutes.pdf"
    assert event.detail == {"uploader_id": cast["rc_hc_pakistan"].pk}


def test_a_refused_download_is_not_recorded(client, cast, attachment):
    client.force_login(cast["rc_hc_nepal"])
    url = reverse("missions:attachment", args=[attachment.mission_id, attachment.pk])
    assert client.get(url).status_code == 404
    assert not events(Kind.FILE_DOWNLOAD)


# Nothing edits the log ----------------------------------------------------------------------


@pytest.fixture
def event(amina):
    role_grant(amina, Role.TASK_TEAM)
    return AuditEvent.objects.get(kind=Kind.ROLE_GRANTED, object_repr="amina")


def unchanged(event: AuditEvent) -> bool:
    stored = AuditEvent.objects.get(pk=event.pk)
    return (stored.kind, stored.object_repr, stored.detail) == (
        Kind.ROLE_GRANTED,
        "amina",
        {"role": "task_team", "scope": ""},
    )


def test_the_model_refuses_to_save_an_event_again_or_delete_it(event):
    event.object_repr = "someone else"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent(pk=event.pk, kind=Kind.SIGN_IN).save()  # an insert that would overwrite
    assert unchanged(event)


def test_the_queryset_refuses_updates_and_deletes(event):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="someone else")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_update([event], ["object_repr"])
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"object_repr": "x"})
    assert unchanged(event)


def test_deleting_an_account_leaves_its_events_as_they_were(event, amina):
    amina_pk = amina.pk
    amina.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.object_id, stored.object_repr) == (str(amina_pk), "amina")
    assert unchanged(event)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("who", ["hcss", "superuser"])
def test_hcss_reads_the_log_in_the_admin_and_nobody_changes_or_deletes_it_there(
    client, cast, superuser, event, who
):
    client.force_login(superuser if who == "superuser" else cast["hcss"])
    listing = client.get(reverse("admin:clusters_auditevent_changelist"))
    assert listing.status_code == 200
    assert event in listing.context["cl"].result_list
    assert listing.context["cl"].model_admin.get_actions(listing.wsgi_request) == {}
    for name in ("change", "delete"):
        url = reverse(f"admin:clusters_auditevent_{name}", args=[event.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"post": "yes", "object_repr": "x"}).status_code == 403
    assert client.get(reverse("admin:clusters_auditevent_add")).status_code == 403
    assert (
        client.post(reverse("admin:clusters_auditevent_add"), {"kind": "sign_in"}).status_code
        == 403
    )
    # No action to post from the list either: Django's "Delete selected" is not offered.
    client.post(
        reverse("admin:clusters_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert unchanged(event)
    assert AuditEvent.objects.filter(kind=Kind.ROLE_GRANTED, object_repr="amina").count() == 1


def test_the_admin_list_filters_by_kind_and_date_and_searches_by_user_name(client, cast, event):
    client.force_login(cast["hcss"])
    url = reverse("admin:clusters_auditevent_changelist")
    granted = client.get(url, {"kind__exact": "role_granted", "q": "amina"})
    assert [e.pk for e in granted.context["cl"].result_list] == [event.pk]
    signed_in = client.get(url, {"kind__exact": "sign_in", "q": "amina"})
    assert list(signed_in.context["cl"].result_list) == []
    # The date filter's "Today", as HCSS clicks it.
    listing = client.get(url)
    changelist = listing.context["cl"]
    dates = next(spec for spec in changelist.filter_specs if spec.field_path == "at")
    [today] = [c["query_string"] for c in dates.choices(changelist) if c["display"] == "Today"]
    dated = client.get(url + today)
    assert event in dated.context["cl"].result_list


def test_other_staff_do_not_read_the_log(client, cast, event):
    staff = UserFactory(username="staff-pak", is_staff=True)
    role_grant(staff, Role.RC_HC, country=Country.objects.get(code="PAK"))
    client.force_login(staff)
    assert client.get(reverse("admin:clusters_auditevent_changelist")).status_code == 403
    client.force_login(cast["task_team"])  # not staff: the admin's door
    assert client.get(reverse("admin:clusters_auditevent_changelist")).status_code == 302


@pytest.mark.postgres
def test_postgresql_refuses_raw_updates_and_deletes_of_the_log(on_postgres, event):
    table = AuditEvent._meta.db_table
    for sql in (
        f"UPDATE {table} SET object_repr = 'someone else' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert unchanged(event)
    # Adding is what the log is for.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (at, kind, username, object_id, object_repr, detail) "
            "VALUES (now(), 'sign_in', 'raw', '', '', '{}')"
        )
    assert AuditEvent.objects.filter(username="raw").exists()
