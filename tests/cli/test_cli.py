"""`hookbird <noun> <verb>` as an operator runs it: each noun and verb against a real server, tables and --json,
errors and exit codes, environment variables, and progress output of bulk work (send a file, recover, replay)."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from cli_harness import CLI
from tests.support import Receiver, Respond, free_port, unique, wait_until

BAR = re.compile(r"\[[#-]{30}\]")


def make_app(cli: CLI) -> str:
    return cli.json("app", "create", unique("app"))["id"]


def header(run_stdout: str) -> list[str]:
    return run_stdout.splitlines()[0].split()


# --------------------------------------------------------------------------
# Applications, event types, tables and --json
# --------------------------------------------------------------------------


def test_app_create_list_get_delete(cli: CLI) -> None:
    name = unique("acme")
    created = cli.json("app", "create", name, "--uid", name, "--metadata", "plan=pro")
    assert created["name"] == name and created["metadata"] == {"plan": "pro"}
    app_id = created["id"]

    table = cli.run("app", "list", "--limit", "250")
    assert header(table.stdout) == ["ID", "UID", "NAME", "CREATED"]
    row = next(line for line in table.lines() if line.startswith(app_id))
    assert name in row and re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", row), row
    # Columns are aligned: every line has its second column at the same offset.
    offsets = {line.index(" " + line.split()[1]) for line in table.lines()[1:] if len(line.split()) > 3}
    assert len({table.lines()[0].index(" UID")} | offsets) == 1, table.stdout

    listed = cli.json("app", "list", "--limit", "250")
    assert app_id in [a["id"] for a in listed["data"]] and "done" in listed

    details = cli.run("app", "get", name).stdout  # by uid
    assert details.splitlines()[0].split() == ["id", app_id]
    assert re.search(rf"^name\s+{name}$", details, re.M), details

    deleted = cli.run("app", "delete", app_id)
    assert f"deleted application {app_id}" in deleted.stdout
    gone = cli.run("app", "get", app_id, expect=1)
    assert gone.stderr.strip() == "error: 404 not_found: Entity not found"
    assert gone.stdout == ""


def test_list_pages_with_iterator(cli: CLI) -> None:
    for _ in range(3):
        make_app(cli)
    first = cli.run("app", "list", "--limit", "2")
    assert len(first.lines()) == 3  # header + 2 rows
    iterator = re.search(r"more: add --iterator (\S+)", first.stderr).group(1)
    second = cli.json("app", "list", "--limit", "2", "--iterator", iterator)
    assert second["data"] and second["data"][0]["id"] not in first.stdout


def test_long_cells_are_truncated(cli: CLI) -> None:
    app_id = make_app(cli)
    long_url = "http://127.0.0.1:9/" + "x" * 100
    cli.json("endpoint", "create", app_id, long_url)
    row = cli.run("endpoint", "list", app_id).lines()[1]
    assert long_url not in row and "http://127.0.0.1:9/xxx" in row and "…" in row


def test_event_type_create_and_list(cli: CLI) -> None:
    name = unique("invoice") + ".paid"
    created = cli.json("event-type", "create", name, "--description", "An invoice was paid")
    assert created["name"] == name
    table = cli.run("event-type", "list", "--limit", "250")
    assert header(table.stdout) == ["NAME", "DESCRIPTION", "ARCHIVED", "CREATED"]
    assert any(line.startswith(name) and "An invoice was paid" in line for line in table.lines())


# --------------------------------------------------------------------------
# Errors, exit codes, flags and environment
# --------------------------------------------------------------------------


def test_bad_token_exits_1_with_server_code_and_detail(cli: CLI) -> None:
    run = cli.run("app", "list", "--token", "wrong", expect=1)
    assert run.stderr.strip() == "error: 401 authentication_failed: Invalid token"
    assert run.stdout == ""
    # The same with --json: errors never go to stdout.
    run = cli.run("app", "list", "--json", env=cli.env(HOOKBIRD_TOKEN="wrong"), expect=1)
    assert "401 authentication_failed" in run.stderr and run.stdout == ""


def test_validation_error_shows_the_fields(cli: CLI) -> None:
    app_id = make_app(cli)
    run = cli.run("endpoint", "create", app_id, "not a url", expect=1)
    assert run.stderr.startswith("error: 422 validation_error: body.url"), run.stderr


def test_unreachable_server(cli: CLI) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = cli.run("app", "list", "--url", url, expect=1)
    assert run.stderr.strip() == f"error: unreachable: cannot reach {url}: connection refused"


def test_usage_errors_exit_like_argument_parser(cli: CLI) -> None:
    run = cli.run("message", "send", "app_x", expect=64)
    assert "give --event-type and --payload, or --file" in run.stderr
    run = cli.run("endpoint", "recover", "app_x", "ep_x", "--since", "yesterday", expect=64)
    assert "--since" in run.stderr
    assert cli.run("app", "list", "--url", "ftp://x", expect=64).stderr


def test_flags_win_over_environment(cli: CLI, server) -> None:
    # Environment only (the fixture's default).
    assert cli.run("app", "list").code == 0
    # A bad token in the environment, the good one as a flag.
    env = cli.env(HOOKBIRD_TOKEN="wrong")
    assert cli.run("app", "list", "--token", server.token, env=env).code == 0
    # No URL at all: the default http://127.0.0.1:8071 is tried (nothing listens there in tests, or it refuses us).
    env = cli.env()
    del env["HOOKBIRD_URL"]
    run = cli.run("app", "list", "--token", "wrong", env=env, expect=1)
    assert "127.0.0.1:8071" in run.stderr or "401" in run.stderr


def test_help_explains_token_create_is_local(cli: CLI) -> None:
    text = cli.run("token", "create", "--help").stdout
    assert "does not call a server" in text and "--jwt-secret" in text
    top = cli.run("--help").stdout
    for noun in ("app", "event-type", "endpoint", "message", "attempt", "source", "serve", "migrate", "token"):
        assert re.search(rf"^\s+{noun}\s", top, re.M), noun
    # Every verb's options are well-formed (ArgumentParser checks names only when a command is parsed).
    verbs = {
        "app": ["list", "create", "get", "delete"],
        "event-type": ["list", "create"],
        "endpoint": ["list", "create", "get", "patch", "delete", "secret", "rotate", "recover", "replay-missing"],
        "message": ["send", "list", "get"],
        "attempt": ["list"],
        "source": ["list", "create", "requests"],
    }
    for noun, names in verbs.items():
        for verb in names:
            text = cli.run(noun, verb, "--help").stdout
            assert "--url" in text and "--token" in text and "--json" in text, (noun, verb)


def test_token_create_makes_a_token_the_cli_can_use(servers, tmp_path: Path) -> None:
    jwt_secret = secrets.token_hex(32)
    server = servers({"--jwt-secret": jwt_secret})
    cli = CLI(server)
    token = cli.run("token", "create", "--jwt-secret", jwt_secret).stdout.strip()
    assert token.count(".") == 2
    env = cli.env(HOOKBIRD_TOKEN=token)
    assert cli.run("app", "create", "jwt-app", "--json", env=env).json["name"] == "jwt-app"


# --------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------


def test_endpoint_verbs(cli: CLI, receiver: Receiver) -> None:
    app_id = make_app(cli)
    event_type = unique("ep") + ".created"
    cli.json("event-type", "create", event_type)
    ep = cli.json("endpoint", "create", app_id, receiver.url("/ep"), "--description", "main",
                  "--event-type", event_type, "--header", "X-Team=ops", "--uid", unique("ep"))
    assert ep["url"] == receiver.url("/ep") and ep["eventTypes"] == [event_type]

    table = cli.run("endpoint", "list", app_id)
    assert header(table.stdout) == ["ID", "URL", "STATE", "EVENT", "TYPES", "DESCRIPTION", "CREATED"]
    assert ep["id"] in table.stdout and "enabled" in table.stdout

    got = cli.run("endpoint", "get", app_id, ep["uid"]).stdout
    assert re.search(r"^description\s+main$", got, re.M), got

    patched = cli.json("endpoint", "patch", app_id, ep["id"], "--disable", "--description", "paused",
                       "--new-url", receiver.url("/ep2"))
    assert patched["disabled"] is True and patched["description"] == "paused"
    assert patched["url"] == receiver.url("/ep2")
    assert "disabled" in cli.run("endpoint", "list", app_id).stdout
    patched = cli.json("endpoint", "patch", app_id, ep["id"], "--enable", "--all-event-types")
    assert patched["disabled"] is False and not patched.get("eventTypes")
    assert cli.run("endpoint", "patch", app_id, ep["id"], expect=64).stderr

    secret = cli.run("endpoint", "secret", app_id, ep["id"]).stdout.strip()
    assert secret.startswith("whsec_")
    assert cli.json("endpoint", "secret", app_id, ep["id"]) == {"key": secret}
    rotated = cli.run("endpoint", "rotate", app_id, ep["id"]).stdout.strip()
    assert rotated.startswith("whsec_") and rotated != secret
    chosen = "whsec_" + "A" * 43 + "="
    assert cli.json("endpoint", "rotate", app_id, ep["id"], "--key", chosen) == {"key": chosen}

    assert "deleted endpoint" in cli.run("endpoint", "delete", app_id, ep["id"]).stdout
    assert "404 not_found" in cli.run("endpoint", "get", app_id, ep["id"], expect=1).stderr


# --------------------------------------------------------------------------
# Messages and attempts
# --------------------------------------------------------------------------


def test_message_send_list_get_and_attempts(cli: CLI, receiver: Receiver, tmp_path: Path) -> None:
    app_id = make_app(cli)
    ep = cli.json("endpoint", "create", app_id, receiver.url("/m"))

    sent = cli.run("message", "send", app_id, "--event-type", "invoice.paid", "--payload", '{"amount": 100}',
                   "--event-id", "evt-1")
    msg_id = re.search(r"^id\s+(msg_\S+)$", sent.stdout, re.M).group(1)
    assert re.search(r'^payload\s*\n\s+\{\n\s+"amount" : 100', sent.stdout, re.M), sent.stdout

    payload_file = tmp_path / "payload.json"
    payload_file.write_text('{"from": "file"}')
    second = cli.json("message", "send", app_id, "--event-type", "invoice.sent", "--payload", f"@{payload_file}")
    assert second["payload"] == {"from": "file"}
    third = cli.run("message", "send", app_id, "--event-type", "x.y", "--payload", "@-", "--json",
                    stdin='{"from": "stdin"}').json
    assert third["payload"] == {"from": "stdin"}

    receiver.wait_for("/m", 3)
    table = cli.run("message", "list", app_id)
    assert header(table.stdout) == ["ID", "EVENT", "TYPE", "EVENT", "ID", "CHANNELS", "TIME"]
    assert [line.split()[0] for line in table.lines()[1:]] == [third["id"], second["id"], msg_id]
    filtered = cli.json("message", "list", app_id, "--event-type", "invoice.paid", "--after", "1h")
    assert [m["id"] for m in filtered["data"]] == [msg_id]

    shown = cli.run("message", "get", app_id, msg_id).stdout
    assert re.search(r"^eventType\s+invoice.paid$", shown, re.M) and '"amount" : 100' in shown
    assert cli.json("message", "get", app_id, msg_id)["payload"] == {"amount": 100}

    def attempts_done() -> bool:
        rows = cli.json("attempt", "list", app_id, "--endpoint", ep["id"])["data"]
        return len(rows) == 3 and all(a["statusText"] == "success" for a in rows)

    wait_until(attempts_done, 10, 0.2, "three successful attempts")
    by_msg = cli.run("attempt", "list", app_id, "--msg", msg_id)
    assert header(by_msg.stdout) == ["ID", "MESSAGE", "ENDPOINT", "STATUS", "CODE", "MS", "TRIGGER", "TIME"]
    row = by_msg.lines()[1].split()
    assert row[1:6] == [msg_id, ep["id"], "success", "200", row[5]] and row[6] == "scheduled"
    assert cli.json("attempt", "list", app_id, "--msg", msg_id, "--status", "fail")["data"] == []
    assert cli.run("attempt", "list", app_id, expect=64).stderr


def test_bulk_send_from_a_file_with_progress(cli: CLI, receiver: Receiver, tmp_path: Path) -> None:
    app_id = make_app(cli)
    cli.json("endpoint", "create", app_id, receiver.url("/bulk"))
    lines = [json.dumps({"eventType": "bulk.item", "payload": {"n": i}, "eventId": f"bulk-{i}"}) for i in range(40)]
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines[:20]) + "\n\n" + "\n".join(lines[20:]) + "\n")

    run = cli.run("message", "send", app_id, "--file", str(path), "--progress")
    assert run.stdout.strip() == f"sent 40 of 40 message(s) to {app_id}"
    frames = run.stderr.split("\r")
    assert all(BAR.search(f) for f in frames if f.strip()), run.stderr
    assert frames[-1].strip() == "send  [" + "#" * 30 + "]  40/40  100%"
    receiver.wait_for("/bulk", 40)
    assert sorted(r.json["n"] for r in receiver.received("/bulk")) == list(range(40))

    # No terminal and no --progress: no bar; --json prints one line per message, in the file's order.
    path.write_text("".join(json.dumps({"eventType": "bulk.again", "payload": {"n": i}}) + "\n" for i in range(40)))
    run = cli.run("message", "send", app_id, "--file", str(path), "--json", "--concurrency", "8")
    assert run.stderr == ""
    sent = [json.loads(line) for line in run.lines()]
    assert [m["payload"]["n"] for m in sent] == list(range(40))


def test_bulk_send_reports_failed_lines(cli: CLI, tmp_path: Path) -> None:
    app_id = make_app(cli)
    path = tmp_path / "bad.jsonl"
    path.write_text('{"eventType": "ok.one", "payload": {}}\n{"eventType": "bad type!", "payload": {}}\n')
    run = cli.run("message", "send", app_id, "--file", str(path), expect=1)
    assert "sent 1 of 2" in run.stdout
    assert re.search(r"^error: line 2: 422 validation_error: ", run.stderr, re.M), run.stderr

    path.write_text('{"eventType": "ok.one", "payload": {}}\nnot json\n')
    run = cli.run("message", "send", app_id, "--file", str(path), expect=64)
    assert "line 2 is not a JSON object" in run.stderr


# --------------------------------------------------------------------------
# Recover and replay-missing: progress while the server works
# --------------------------------------------------------------------------


def test_recover_shows_progress_until_all_are_sent(cli: CLI, receiver: Receiver, tmp_path: Path) -> None:
    app_id = make_app(cli)
    receiver.script("/flaky", Respond(500))
    ep = cli.json("endpoint", "create", app_id, receiver.url("/flaky"))
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"eventType": "r.x", "payload": {"n": i}}) + "\n" for i in range(25)))
    cli.run("message", "send", app_id, "--file", str(path))

    def all_failed() -> bool:
        stats = cli.server.http.get(f"{cli.server.base_url}/api/v1/app/{app_id}/endpoint/{ep['id']}/stats").json()
        return stats["pending"] == 0 and stats["sending"] == 0 and stats["success"] == 0

    wait_until(lambda: len(receiver.received("/flaky")) >= 25, 15, 0.1, "first attempts")
    wait_until(all_failed, 20, 0.2, "every delivery exhausted its retries")
    receiver.script("/flaky", Respond(200))
    before = len(receiver.received("/flaky"))

    run = cli.run("endpoint", "recover", app_id, ep["id"], "--since", "1h", "--progress")
    assert re.match(rf"recover: 25 message\(s\) queued for {ep['id']}, all sent \(attempts meanwhile: 25 "
                    r"succeeded, \d+ failed\)$", run.stdout.strip()), run.stdout
    frames = [f for f in run.stderr.split("\r") if f.strip()]
    assert frames and all(f.startswith("recover  [") for f in frames), run.stderr
    assert frames[-1].strip() == "recover  [" + "#" * 30 + "]  25/25  100%"
    assert len(receiver.received("/flaky")) - before >= 25

    # Nothing left to recover: count 0, nothing waited for.
    again = cli.json("endpoint", "recover", app_id, ep["id"], "--since", "1h")
    assert again["count"] == 0 and again["task"] == "endpoint.recover"


def test_replay_missing_json_and_no_wait(cli: CLI, receiver: Receiver, tmp_path: Path) -> None:
    app_id = make_app(cli)
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"eventType": "p.x", "payload": {"n": i}}) + "\n" for i in range(12)))
    cli.run("message", "send", app_id, "--file", str(path))  # no endpoint yet: nobody gets them
    ep = cli.json("endpoint", "create", app_id, receiver.url("/late"))

    result = cli.json("endpoint", "replay-missing", app_id, ep["id"], "--since", "10m")
    assert result["count"] == 12 and result["remaining"] == 0 and result["stats"]["success"] == 12
    assert len(receiver.wait_for("/late", 12)) == 12

    late = cli.json("endpoint", "create", app_id, receiver.url("/later"))
    run = cli.run("endpoint", "replay-missing", app_id, late["id"], "--since", "10m", "--no-wait", "--progress")
    assert run.stdout.strip() == f"replay-missing: 12 message(s) queued for {late['id']}" and run.stderr == ""
    receiver.wait_for("/later", 12)


# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------


def test_source_create_list_requests(cli: CLI) -> None:
    app_id = make_app(cli)
    name = unique("gh")
    source = cli.json("source", "create", name, "--provider", "github", "--app", app_id, "--secret", "s3cret",
                      "--uid", name)
    assert source["provider"] == "github" and source["appId"] == app_id

    table = cli.run("source", "list", "--limit", "250")
    assert header(table.stdout) == ["ID", "NAME", "PROVIDER", "APP", "INGEST", "URL", "CREATED"]
    assert any(line.startswith(source["id"]) and "github" in line for line in table.lines())

    import requests

    answer = requests.post(f"{cli.server.base_url}/webhook/{source['id']}", data=b'{"zen": "x"}',
                           headers={"Content-Type": "application/json", "X-GitHub-Event": "ping"})
    assert answer.status_code >= 400
    stored = cli.run("source", "requests", name)
    assert header(stored.stdout) == ["ID", "RECEIVED", "VERDICT", "REASON", "EVENT", "ID", "MESSAGE"]
    assert "refused" in stored.lines()[1]
    assert cli.json("source", "requests", name, "--verdict", "accepted")["data"] == []
