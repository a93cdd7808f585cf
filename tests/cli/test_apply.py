"""`hookbird apply -f FILE` and `hookbird export` against real servers (each test starts its own, so "empty" means
empty; on the PostgreSQL pass each has a database of its own)."""

from __future__ import annotations

from pathlib import Path


from cli_harness import CLI

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RESOURCES = f"""\
eventTypes:
  - name: invoice.paid
    description: An invoice was paid
    schemas:
      "1": {{type: object, properties: {{id: {{type: string}}}}}}
  - name: invoice.voided
    description: An invoice was voided
applications:
  - uid: acme
    name: Acme Inc
    metadata: {{plan: pro}}
    endpoints:
      - uid: main
        url: https://acme.example/hooks
        description: main receiver
        eventTypes: [invoice.paid, invoice.voided]
        maxInFlight: 4
        secret: {SECRET}
      - uid: audit
        url: https://audit.example/hooks
  - uid: globex
    name: Globex
sources:
  - uid: stripe-in
    name: Stripe
    provider: stripe
    app: acme
    secrets: [whsec_stripe_test_secret]
    allowedIps: [10.0.0.0/8]
operationalEndpoints:
  - uid: ops
    url: https://ops.example/hook
    eventTypes: [endpoint.disabled]
"""


def _get(server, path: str):
    r = server.http.get(f"{server.base_url}/api/v1/{path}", timeout=10)
    return r.status_code, (r.json() if r.content else None)


def _write(tmp_path: Path, text: str, name: str = "resources.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_create_then_reapply_changes_nothing(servers, tmp_path):
    server = servers()
    cli = CLI(server)
    path = _write(tmp_path, RESOURCES)
    first = cli.run("apply", "-f", str(path))
    assert "applied: create 8, update 0, delete 0" in first.stdout, first.stdout
    assert "+ create endpoint acme/main" in first.stdout

    status, app = _get(server, "app/acme")
    assert status == 200 and app["name"] == "Acme Inc" and app["metadata"] == {"plan": "pro"}
    status, endpoint = _get(server, "app/acme/endpoint/main")
    assert status == 200 and endpoint["url"] == "https://acme.example/hooks"
    assert sorted(endpoint["eventTypes"]) == ["invoice.paid", "invoice.voided"]
    assert endpoint["maxInFlight"] == 4, endpoint
    assert _get(server, "app/acme/endpoint/main/secret")[1]["key"] == SECRET
    generated = _get(server, "app/acme/endpoint/audit/secret")[1]["key"]
    assert generated.startswith("whsec_") and generated != SECRET
    status, event_type = _get(server, "event-type/invoice.paid")
    assert event_type["schemas"] == {"1": {"type": "object", "properties": {"id": {"type": "string"}}}}
    assert _get(server, "operational-webhook/endpoint/ops")[0] == 200
    status, source = _get(server, "source/stripe-in")
    assert status == 200 and source["appId"] == app["id"] and source["allowedIps"] == ["10.0.0.0/8"], source
    assert _get(server, "source/stripe-in/secret")[1]["secrets"] == ["whsec_stripe_test_secret"]

    again = cli.run("apply", "-f", str(path))
    assert again.lines() == [f"no changes: the server matches {path} (8 resources)"], again.stdout
    assert _get(server, "app/acme/endpoint/audit/secret")[1]["key"] == generated, "a second apply changed a secret"


def test_one_changed_field_dry_run_and_prune(servers, tmp_path):
    server = servers()
    cli = CLI(server)
    cli.run("apply", "-f", str(_write(tmp_path, RESOURCES)))

    changed = _write(tmp_path, RESOURCES.replace("name: Acme Inc", "name: Acme Ltd"), "changed.yaml")
    dry = cli.run("apply", "-f", str(changed), "--dry-run")
    assert dry.lines() == ["~ update application acme: name",
                           "dry run: would create 0, update 1, delete 0; 7 unchanged; nothing was changed"], dry.stdout
    assert _get(server, "app/acme")[1]["name"] == "Acme Inc", "--dry-run changed the server"
    run = cli.run("apply", "-f", str(changed))
    assert run.lines() == ["~ update application acme: name", "applied: create 0, update 1, delete 0; 7 unchanged"]
    assert _get(server, "app/acme")[1]["name"] == "Acme Ltd"

    # A secret given anew is set; the endpoint is not recreated.
    endpoint_id = _get(server, "app/acme/endpoint/main")[1]["id"]
    new_secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
    rotated = _write(tmp_path, RESOURCES.replace("name: Acme Inc", "name: Acme Ltd").replace(SECRET, new_secret),
                     "rotated.yaml")
    run = cli.run("apply", "-f", str(rotated))
    assert "~ set the secret of endpoint acme/main" in run.stdout, run.stdout
    assert _get(server, "app/acme/endpoint/main/secret")[1]["key"] == new_secret
    assert _get(server, "app/acme/endpoint/main")[1]["id"] == endpoint_id

    # Without --prune, what the file no longer names stays (and is listed); with it, it goes.
    fewer = RESOURCES.replace(SECRET, new_secret).replace("name: Acme Inc", "name: Acme Ltd")
    fewer = fewer.replace("      - uid: audit\n        url: https://audit.example/hooks\n", "")
    fewer = fewer.replace("  - uid: globex\n    name: Globex\n", "")
    fewer_path = _write(tmp_path, fewer, "fewer.yaml")
    kept = cli.run("apply", "-f", str(fewer_path))
    assert "no changes" in kept.stdout and "--prune deletes them" in kept.stderr, kept
    assert "endpoint acme/audit" in kept.stderr and "application globex" in kept.stderr, kept.stderr
    assert _get(server, "app/globex")[0] == 200
    pruned = cli.run("apply", "-f", str(fewer_path), "--prune", "--dry-run")
    assert "- delete endpoint acme/audit" in pruned.stdout and "- delete application globex" in pruned.stdout
    assert _get(server, "app/globex")[0] == 200, "--dry-run --prune deleted"
    pruned = cli.run("apply", "-f", str(fewer_path), "--prune")
    assert "applied: create 0, update 0, delete 2" in pruned.stdout, pruned.stdout
    assert _get(server, "app/globex")[0] == 404 and _get(server, "app/acme/endpoint/audit")[0] == 404
    assert _get(server, "app/acme/endpoint/main")[0] == 200
    assert cli.run("apply", "-f", str(fewer_path), "--prune").lines()[0].startswith("no changes")


def test_bad_endpoint_url_applies_nothing_and_names_the_field(servers, tmp_path):
    server = servers()
    cli = CLI(server)
    bad = _write(tmp_path, RESOURCES.replace("url: https://audit.example/hooks", "url: ftp://audit.example/hooks"))
    run = cli.run("apply", "-f", str(bad), expect=1)
    assert "applications[acme].endpoints[audit].url" in run.stderr and "nothing was applied" in run.stderr, run.stderr
    assert _get(server, "app")[1]["data"] == [], "something was applied"
    assert _get(server, "event-type")[1]["data"] == [], "something was applied"
    typo = _write(tmp_path, RESOURCES.replace("    metadata: {plan: pro}", "    metdata: {plan: pro}"), "typo.yaml")
    run = cli.run("apply", "-f", str(typo), expect=1)
    assert "applications[acme].metdata" in run.stderr, run.stderr
    assert _get(server, "app")[1]["data"] == []


def test_export_then_apply_to_an_empty_server_gives_the_same_state(servers, tmp_path):
    source = servers()
    CLI(source).run("apply", "-f", str(_write(tmp_path, RESOURCES)))
    exported = CLI(source).run("export", "--include-secrets").stdout
    assert SECRET in exported
    assert "maxInFlight: 4" in exported, exported
    without = CLI(source).run("export").stdout
    assert "whsec_" not in without, "secrets exported without --include-secrets"

    target = servers()
    path = _write(tmp_path, exported, "exported.yaml")
    run = CLI(target).run("apply", "-f", str(path))
    assert "applied: create 8" in run.stdout, run.stdout
    again = CLI(target).run("export", "--include-secrets").stdout

    def body(text: str) -> str:  # the first line names the server
        return text.split("\n", 1)[1]

    assert body(again) == body(exported)
    assert CLI(target).run("apply", "-f", str(path)).lines()[0].startswith("no changes")
    # And the secrets really sign: the receiver-side key is the same.
    assert _get(target, "app/acme/endpoint/audit/secret")[1] == _get(source, "app/acme/endpoint/audit/secret")[1]


def test_sources_change_and_refuse_a_new_provider(servers, tmp_path):
    server = servers()
    cli = CLI(server)
    cli.run("apply", "-f", str(_write(tmp_path, RESOURCES)))
    moved = RESOURCES.replace("    app: acme\n", "    app: globex\n").replace(
        "[whsec_stripe_test_secret]", "[whsec_stripe_new_secret]")
    run = cli.run("apply", "-f", str(_write(tmp_path, moved, "moved.yaml")))
    assert run.lines() == ["~ update source stripe-in: app, secrets",
                           "applied: create 0, update 1, delete 0; 7 unchanged"], run.stdout
    assert _get(server, "source/stripe-in")[1]["appId"] == _get(server, "app/globex")[1]["id"]
    assert _get(server, "source/stripe-in/secret")[1]["secrets"] == ["whsec_stripe_new_secret"]
    assert cli.run("apply", "-f", str(tmp_path / "moved.yaml")).lines()[0].startswith("no changes")

    other = moved.replace("provider: stripe", "provider: github")
    run = cli.run("apply", "-f", str(_write(tmp_path, other, "other.yaml")), expect=1)
    assert "sources[stripe-in].provider" in run.stderr and "nothing was applied" in run.stderr, run.stderr
    assert _get(server, "source/stripe-in")[1]["provider"] == "stripe"
