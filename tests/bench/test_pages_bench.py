"""bench/pages.py reads wrk's report; these pin that reading on wrk's real output format."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import pages

WRK_REPORT = """Running 3s test @ http://127.0.0.1:40000/integrations/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.32ms    3.10ms  40.12ms   80.00%
    Req/Sec    94.12     10.01   110.00     70.00%
  Latency Distribution
     50%  {median}
     75%   22.90ms
     90%   25.12ms
     99%   33.50ms
  282 requests in 3.00s, 5.52MB read
Requests/sec:     93.88
Transfer/sec:      1.84MB
"""


@pytest.mark.parametrize(
    ("reported", "milliseconds"), [("20.51ms", 20.51), ("812.00us", 0.812), ("1.20s", 1200.0)]
)
def test_median_latency_is_read_in_milliseconds_whatever_unit_wrk_chose(reported, milliseconds):
    match = pages.LATENCY_50.search(WRK_REPORT.format(median=reported))
    assert float(match[1]) * pages.UNIT_MS[match[2]] == pytest.approx(milliseconds)


def test_the_other_percentiles_are_not_taken_for_the_median():
    assert pages.LATENCY_50.search(WRK_REPORT.format(median="")) is None


def test_the_autosave_is_posted_as_an_htmx_form_and_pages_are_got_with_the_cookie_alone():
    autosave = pages.Page("/integrations/1/edit/autosave/", form="text=a", htmx=True)

    assert autosave.headers("sessionid=s") == {
        "Cookie": "sessionid=s",
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
    }
    assert pages.Page("/integrations/").headers("sessionid=s") == {"Cookie": "sessionid=s"}
    assert pages.POST_SCRIPT.is_file()
    assert pages.NUMBERED_SCRIPT.is_file()
    assert pages.ROTATE_SCRIPT.is_file()


def test_a_rotating_page_is_checked_at_its_first_path_and_asks_for_all_in_turn():
    cold = pages.rotating(["/integrations/7/", "/integrations/3/"])

    assert cold.path == "/integrations/7/"
    assert cold.rotating == ("/integrations/7/", "/integrations/3/")
    assert cold.headers("sessionid=s") == {"Cookie": "sessionid=s"}


def test_the_csrf_token_is_read_from_a_form_as_django_writes_it():
    html = '<form><input type="hidden" name="csrfmiddlewaretoken" value="abc123XYZ"></form>'

    assert pages.CSRF_FIELD.search(html)[1] == "abc123XYZ"


def test_the_bench_project_holds_one_integration_per_name_the_last_keeping_its_own():
    items = [{"name": "crm"}, {"name": "erp"}, {"name": "crm"}, {"name": "editor"}]

    named = [item["name"] for item in pages.one_per_name(items)]

    assert named == ["crm-0", "erp", "crm", "editor"]
    assert len(set(named)) == len(named)
