"""The dashboard's building blocks: the SVG bar chart and the median time per state."""

import datetime
import xml.etree.ElementTree as ET

import pytest

from formats.charts import bar_chart, format_value
from missions.selectors.dashboard import _month_starts, median_days_in_state

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _at(days: float) -> datetime.datetime:
    return T0 + datetime.timedelta(days=days)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


class TestBarChart:
    ITEMS = [("Pakistan", 12), ("Nepal", 3), ("Colombia", 0)]

    def test_is_well_formed_svg_with_a_title_and_a_description(self):
        root = _parse(bar_chart(self.ITEMS, title="Missions by country", chart_id="c"))
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == "c-title c-desc"
        assert root.find(f"{SVG}title").text == "Missions by country"
        assert root.find(f"{SVG}title").get("id") == "c-title"
        assert "Pakistan: 12; Nepal: 3; Colombia: 0" in root.find(f"{SVG}desc").text

    def test_draws_one_bar_per_item_with_its_label_and_value_as_text(self):
        root = _parse(bar_chart(self.ITEMS, title="Missions by country", chart_id="c"))
        bars = root.findall(f".//{SVG}rect")
        assert len(bars) == 3
        texts = _texts(root)
        for label, value in self.ITEMS:
            assert label in texts
            assert str(value) in texts

    def test_bar_lengths_follow_the_values(self):
        root = _parse(bar_chart(self.ITEMS, title="t", chart_id="c"))
        widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
        assert widths[0] > widths[1] > widths[2] == 0
        assert widths[1] == pytest.approx(widths[0] * 3 / 12, abs=0.1)

    def test_labels_and_titles_are_escaped(self):
        svg = bar_chart([('<Côte & "Ivoire">', 1)], title="A < B", chart_id="c")
        root = _parse(svg)
        assert root.find(f"{SVG}title").text == "A < B"
        assert '<Côte & "Ivoire">' in _texts(root)
        assert "<Côte" not in svg

    def test_long_labels_are_shortened_on_the_bar_but_kept_whole_in_its_tooltip(self):
        name = "Democratic Republic of the Congo"
        root = _parse(bar_chart([(name, 2)], title="t", chart_id="c"))
        (group,) = root.iter(f"{SVG}g")
        assert group.find(f"{SVG}title").text == f"{name}: 2"
        assert name not in _texts(root)
        assert any(text.endswith("…") for text in _texts(root))

    def test_no_items_says_so(self):
        root = _parse(bar_chart([], title="Empty", chart_id="c"))
        assert root.findall(f".//{SVG}rect") == []
        assert "No data yet." in _texts(root)
        assert "No data." in root.find(f"{SVG}desc").text

    def test_unit_follows_each_value(self):
        root = _parse(bar_chart([("Submitted", 2.5)], title="t", chart_id="c", unit="days"))
        assert "2.5 days" in _texts(root)
        assert "Submitted: 2.5 days" in root.find(f"{SVG}desc").text

    @pytest.mark.parametrize(
        "value, unit, expected", [(3, "", "3"), (3.0, "", "3"), (4.25, "days", "4.2 days")]
    )
    def test_format_value(self, value, unit, expected):
        assert format_value(value, unit) == expected


class TestMedianDaysInState:
    def test_first_stay_runs_from_creation_and_later_ones_from_the_previous_step(self):
        rows = [
            (1, "draft", _at(4), T0),
            (1, "submitted", _at(6), T0),
            (1, "in_triage", _at(7.5), T0),
        ]
        assert median_days_in_state(rows) == {"draft": 4, "submitted": 2, "in_triage": 1.5}

    def test_median_across_missions(self):
        rows = [
            (1, "submitted", _at(1), T0),
            (2, "submitted", _at(3), T0),
            (3, "submitted", _at(10), T0),
        ]
        assert median_days_in_state(rows) == {"submitted": 3}

    def test_even_number_of_stays_takes_the_middle_two(self):
        rows = [(1, "draft", _at(2), T0), (2, "draft", _at(4), T0)]
        assert median_days_in_state(rows) == {"draft": 3}

    def test_a_state_entered_twice_counts_twice(self):
        # Submitted, returned for revision, submitted again.
        rows = [
            (1, "draft", _at(1), T0),
            (1, "submitted", _at(3), T0),
            (1, "draft", _at(4), T0),
            (1, "submitted", _at(9), T0),
        ]
        assert median_days_in_state(rows) == {"draft": 1, "submitted": 3.5}

    def test_rows_of_missions_may_come_interleaved(self):
        rows = [
            (2, "draft", _at(2), T0),
            (1, "draft", _at(1), T0),
            (2, "submitted", _at(8), T0),
            (1, "submitted", _at(2), T0),
        ]
        assert median_days_in_state(rows) == {"draft": 1.5, "submitted": 3.5}

    def test_a_log_row_before_creation_counts_as_no_time(self):
        assert median_days_in_state([(1, "draft", T0, _at(1))]) == {"draft": 0}

    def test_no_rows_no_medians(self):
        assert median_days_in_state([]) == {}


def test_month_starts_cover_the_last_twelve_months_oldest_first():
    starts = _month_starts(datetime.date(2026, 3, 15), 12)
    assert starts[0] == datetime.date(2025, 4, 1)
    assert starts[-1] == datetime.date(2026, 3, 1)
    assert len(set(starts)) == 12


class TestKeptCharts:
    """The same figures draw the same chart, kept: in the language of the page, and drawn
    anew when a figure, a label or the title changes."""

    def test_a_chart_is_drawn_once_for_the_same_figures(self):
        from formats import charts

        items = [("Pakistan", 3), ("Nepal", 1)]
        first = bar_chart(items, title="Kept", chart_id="kept")
        hits = charts._drawn.cache_info().hits
        assert bar_chart(list(items), title="Kept", chart_id="kept") == first
        assert charts._drawn.cache_info().hits == hits + 1
        changed = bar_chart([("Pakistan", 4), ("Nepal", 1)], title="Kept", chart_id="kept")
        assert ">4<" in changed and changed != first
        assert bar_chart(items, title="Kept again", chart_id="kept") != first

    def test_each_language_its_own(self):
        from django.utils import translation

        with translation.override("fr"):
            french = bar_chart([], title="Vide", chart_id="empty")
        english = bar_chart([], title="Vide", chart_id="empty")
        assert "No data yet." in english and "No data yet." not in french
