"""The round's aggregate as CSV and XLSX: read back, hidden below three, scoped like the page."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from tests.commitments.factories import fill_round, open_round


@pytest.fixture
def round_(pakistan):
    return open_round(pakistan.cluster, pakistan.coordinator)


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def read_xlsx(response) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def rows_by_item(rows):
    return {(row[0], row[2]): row for row in rows[1:]}


def test_the_csv_reads_back_with_the_figures_of_the_page(client, round_, pakistan):
    fill_round(
        round_,
        [("M" * 11, "M" * 5), ("P" * 11, "M" * 5), ("N" * 10 + "M", "N" * 5)],
        obstacles=["access_language"],
    )
    client.force_login(pakistan.coordinator)
    response = client.get(reverse("commitments:round_csv", args=[round_.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:5] == ["Section", "Number", "Item", "Key commitment", "Organisations"]
    by_item = rows_by_item(rows)
    advocacy = by_item[("Commitment", "Advocacy")]
    assert advocacy[4:9] == ["3", "1", "1", "1", "0"]
    assert advocacy[12:] == ["50", "Unsatisfactory"]
    interpretation = by_item[("Commitment", "Interpretation in an appropriate language")]
    assert interpretation[12:] == ["83", "Good"]
    assert by_item[("Obstacle", "Access: language")][4] == "3"
    assert by_item[("Response", "Organisations invited")][4] == "4"


def test_the_xlsx_reads_back_with_numbers_as_numbers(client, round_, pakistan):
    fill_round(round_, [("M" * 11, "M" * 5)] * 3)
    client.force_login(pakistan.partner)
    response = client.get(reverse("commitments:round_xlsx", args=[round_.pk]))
    assert response.status_code == 200
    rows = read_xlsx(response)
    equality = rows_by_item(rows)[("Principle", "Equality")]
    assert equality[4] == 3 and equality[12] == 100 and equality[13] == "Good"


@pytest.mark.parametrize("name", ["commitments:round_csv", "commitments:round_xlsx"])
def test_below_three_answers_the_exports_hide_every_figure(client, round_, pakistan, name):
    fill_round(round_, [("N" * 11, "N" * 5)] * 2, obstacles=["capacity"])
    client.force_login(pakistan.coordinator)
    response = client.get(reverse(name, args=[round_.pk]))
    rows = read_csv(response) if name.endswith("csv") else read_xlsx(response)
    for row in rows[1:]:
        if row[0] in ("Commitment", "Principle", "Obstacle", "Overall"):
            assert all(cell in ("", None) for cell in row[4:13]), row
            assert "fewer than 3" in str(row[13])
    assert not any(row[2] == "Capacity" for row in rows)


@pytest.mark.parametrize("name", ["commitments:round_csv", "commitments:round_xlsx"])
def test_outside_the_scope_an_export_is_a_404(client, round_, nepal, cast, name):
    for user in (nepal.coordinator, nepal.partner, cast["rc_hc_pakistan"], cast["outsider"]):
        client.force_login(user)
        assert client.get(reverse(name, args=[round_.pk])).status_code == 404


def test_a_formula_typed_as_an_owner_is_quoted_in_the_sheet(client, round_, pakistan):
    # The export holds no typed text but the framework's; the guard is formats.sheets' own.
    fill_round(round_, [("M" * 11, "M" * 5)] * 3)
    client.force_login(pakistan.coordinator)
    rows = read_csv(client.get(reverse("commitments:round_csv", args=[round_.pk])))
    assert not any(str(cell).startswith("=") for row in rows for cell in row)
