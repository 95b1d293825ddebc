"""The Datasette pages of `browse`, through Datasette's own test client: a person
starts at a list and reaches every row by following links."""
import asyncio
import html
import json
import re
import shutil
import sqlite3
import sys

import pytest
from datasette.app import Datasette

from consortium_backfill import browse
from builder import FIXTURES
from conftest import COMBOS, cli, run_backfill


def backfilled(tmp_path, combo, name="logs.db"):
    path = tmp_path / name
    shutil.copy(FIXTURES / combo / "logs.db", path)
    run_backfill(path, FIXTURES / combo / "consortium_models.txt")
    return path


class Browser:
    """One Datasette for one file, as `browse` configures it; pages as a browser sees them."""

    def __init__(self, path):
        self.loop = asyncio.new_event_loop()
        metadata = browse.metadata(path, "consortium_runs", "consortium_members")
        self.datasette = Datasette(files=[str(path)], metadata=metadata)
        self.loop.run_until_complete(self.datasette.invoke_startup())

    def get(self, *urls):
        responses = [self.loop.run_until_complete(self.datasette.client.get(url)) for url in urls]
        return [(response.status_code, response.text) for response in responses]

    def page(self, url):
        ((status, body),) = self.get(url)
        assert status == 200, f"{url}: {status}"
        return body

    def close(self):
        self.loop.close()


@pytest.fixture
def browser():
    opened = []

    def open_file(path):
        opened.append(Browser(path))
        return opened[-1]

    yield open_file
    for each in opened:
        each.close()


def links(body, prefix):
    """The targets of the links on a page that start with prefix, in page order."""
    return [html.unescape(href) for href in re.findall(r'<a href="([^"]+)"', body) if href.startswith(prefix)]


def cells(body, column):
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(rf'<td class="col-{column}[^"]*">(.*?)</td>', body, re.S)]


@pytest.mark.parametrize("combo", COMBOS)
def test_from_the_consortium_list_to_each_row_of_a_run(tmp_path, browser, combo):
    site = browser(backfilled(tmp_path, combo))
    consortiums = site.page("/logs/consortiums")
    to_runs = links(consortiums, "/logs/runs?consortium=")
    assert to_runs, "every consortium links to its runs"
    runs = site.page(to_runs[0])
    name = to_runs[0].split("=", 1)[1].replace("+", " ")
    assert set(cells(runs, "consortium")) == {name}
    to_run = links(runs, "/logs/run_rows?consortium_id=")
    assert len(to_run) == int(re.search(r"<td class=\"col-runs[^>]*>(\d+)", consortiums).group(1))
    run_rows = site.page(to_run[0])
    log_order = [int(n) for n in cells(run_rows, "log_order")]
    assert log_order == sorted(log_order) and len(log_order) >= 3
    roles = cells(run_rows, "role")
    assert roles[-2:] == ["final_arbiter", "final_output"] and "member" in roles
    to_rows = links(run_rows, "/logs/responses/")
    member = to_rows[roles.index("member")]
    row_page = site.page(member)
    # The declared foreign keys: the row's page lists the run it is in.
    assert "consortium_members" in row_page and "Links from other tables" in row_page
    members_of_row = links(row_page, "/logs/consortium_members?response_id=")
    assert members_of_row and "/logs/consortium_runs/" in site.page(members_of_row[0])


def test_runs_table_links_each_run_to_its_output_and_final_arbiter(tmp_path, browser):
    path = backfilled(tmp_path, "llm0.25-c0.5")
    site = browser(path)
    table = site.page("/logs/consortium_runs")
    output_links = re.findall(r'<td class="col-output_response_id[^"]*"[^>]*><a href="(/logs/responses/[^"]+)"', table)
    arbiter_links = re.findall(r'<td class="col-final_arbiter_response_id[^"]*"[^>]*><a href="(/logs/responses/[^"]+)"', table)
    assert len(output_links) == len(arbiter_links) == 10
    assert all(status == 200 for status, _ in site.get(*output_links[:2], *arbiter_links[:2]))


def test_review_shows_evidence_as_text_and_links_its_rows(tmp_path, browser):
    path = backfilled(tmp_path, "llm0.24-c0.3")
    site = browser(path)
    review = site.page("/logs/review")
    assert cells(review, "kind").count("skipped_run") == 2
    evidence = re.findall(r'<td class="col-evidence">(.*?)</td>', review, re.S)
    assert evidence and all(text.startswith("<pre>") for text in evidence)
    assert "output model: " in evidence[0] and "\\n" not in evidence[0] and "{" not in evidence[0]
    evidence_rows = re.findall(r'<td class="col-evidence_rows">(.*?)</td>', review, re.S)
    skipped = [links(cell, "/logs/responses/") for cell in evidence_rows if "previous row" in cell]
    assert len(skipped) == 2 and all(len(rows) >= 2 for rows in skipped)
    assert all(status == 200 for status, _ in site.get(*skipped[0]))


def test_every_page_answers_and_times_have_one_format(tmp_path, browser):
    path = backfilled(tmp_path, "llm0.24-c0.3")
    site = browser(path)
    run_id = re.search(r"consortium_id=(\w+)", site.page("/logs/runs")).group(1)
    urls = [
        f"/logs/{name}.json?_shape=array&consortium_id={run_id}&consortium="
        for name in browse.metadata(path, "consortium_runs", "consortium_members")["databases"]["logs"]["queries"]
    ]
    results = site.get(*urls)
    assert [status for status, _ in results] == [200] * len(urls)
    times = re.findall(r'"(?:created_at|ended_at|found_at|first_run|last_run|started)": "([^"]*)"', "".join(b for _, b in results))
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", t) for t in times), set(times)


def test_a_file_not_named_logs_db_gets_its_own_links(tmp_path, browser):
    path = backfilled(tmp_path, "llm0.25-c0.5", name="my logs.db")
    site = browser(path)
    runs = site.page("/my+logs/runs")
    to_run = links(runs, "/my+logs/run_rows?consortium_id=")
    assert to_run and links(site.page(to_run[0]), "/my+logs/responses/")


def test_beside_llm_consortiums_own_tables_the_pages_show_the_backfills_runs(tmp_path):
    """A logs.db where llm-consortium kept tables of the plain names: the runs are in
    backfill_consortium_runs, and every page reads those."""
    path = tmp_path / "logs.db"
    shutil.copy(FIXTURES / "llm0.25-c0.5" / "logs.db", path)
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE consortium_runs (id TEXT PRIMARY KEY, status TEXT);"
                       "CREATE TABLE consortium_members (run_id TEXT, model TEXT);")
    conn.close()
    run_backfill(path, FIXTURES / "llm0.25-c0.5" / "consortium_models.txt")
    result = cli("browse", "-d", path, "--get", "/logs/runs.json?_shape=array")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output)
    assert len(runs) == 10
    rows = cli("browse", "-d", path, "--get", json.loads(runs[0]["run"])["href"].replace("?", ".json?_shape=array&", 1))
    assert rows.exit_code == 0, rows.output
    assert len(json.loads(rows.output)) == runs[0]["members"] + runs[0]["iterations"] + 1


def test_browse_command_serves_the_pages(tmp_path):
    path = backfilled(tmp_path, "llm0.25-c0.5", name="my logs.db")
    result = cli("browse", "-d", path, "--get", "/my+logs/runs.json?_shape=array")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output)
    assert len(runs) == 10
    assert all(json.loads(run["run"])["href"].startswith("/my+logs/run_rows?consortium_id=") for run in runs)


def test_browse_passes_what_follows_its_options_to_datasette_serve(tmp_path):
    path = backfilled(tmp_path, "llm0.25-c0.5")
    result = cli("browse", "-d", path, "--no-such-option")
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == "Usage: datasette serve [OPTIONS] [FILES]..."
    assert result.output.splitlines()[-1] == "Error: No such option '--no-such-option'."


@pytest.mark.parametrize("missing", ["datasette", "datasette_json_html"])
def test_browse_without_datasette_says_how_to_install_it(logs_db, monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)
    result = cli("browse", "-d", logs_db.path)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Error: Datasette is not installed: pip install 'consortium-backfill[browse]'"
        " (or datasette datasette-json-html; make browse has them)"
    ]


def test_browse_before_a_backfill_says_what_to_run(tmp_path):
    path = tmp_path / "logs.db"
    shutil.copy(FIXTURES / "llm0.25-c0.5" / "logs.db", path)
    result = cli("browse", "-d", path)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"Error: {path}: no runs to show yet: run `consortium-backfill backfill -d {path}` first"]
