"""A team's own provider key in a real browser: the owner stores a key for an OpenAI-compatible
endpoint (the fake provider server, started here on a free loopback port), tests it, runs a
debate on it, and the database shows the usage metered as "own key" outside the quotas; a key
the endpoint refuses shows the provider's reason. English and Turkish screenshots."""

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from bench.fakellm import FakeLLMConfig, FakeLLMServer
from tests.e2e.helpers import E2EUser, log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

TEAM_KEY = "sk-e2e-team-key-0123456789abcdefOWNK"
WRONG_KEY = "sk-e2e-wrong-key-9876543210zyxwvuBADK"
MODEL = "openai_compat:llama3.1:8b"
DEBATE_TIMEOUT_MS = 60_000

_TEAM_ID = """
from accounts.models import Team
print(Team.objects.get(created_by_id={user_id}, is_personal=True).pk)
"""

_USAGE = """
import json
from billing.models import QuotaReservation, UsageRecord
from debates.models import Debate, DebateModelUsage
from providerkeys.models import ProviderKey
debate = Debate.objects.get(pk={debate_id!r})
reservation = QuotaReservation.objects.get(debate_id=debate.pk)
print(json.dumps({{
    "status": debate.status,
    "lines": [[line.llm_model.key, line.own_key, line.calls]
              for line in DebateModelUsage.objects.filter(debate=debate)],
    "records": [[r.model_key, r.own_key, r.input_tokens + r.output_tokens]
                for r in UsageRecord.objects.filter(debate_id=debate.pk)],
    "reserved": [reservation.status, reservation.tokens, str(reservation.cost_usd)],
    "stored": [k.secret_encrypted for k in ProviderKey.objects.filter(team=debate.team)],
}}))
"""

_KEY = """
import json
from providerkeys.models import ProviderKey
key = ProviderKey.objects.get(team_id={team_id!r}, provider="openai_compat")
print(json.dumps([key.status, key.last_error, key.last_error_at is not None]))
"""


@pytest.fixture
def endpoint() -> Iterator[FakeLLMServer]:
    """The team's own endpoint on a free port; only TEAM_KEY is accepted (else a real 401)."""
    with FakeLLMServer(FakeLLMConfig(api_key=TEAM_KEY, seed=11)) as server:
        yield server


def team_id_of(server: E2EServer, user: E2EUser) -> str:
    return server.shell(_TEAM_ID.format(user_id=user.id)).strip().splitlines()[-1]


def save_key(page: Page, secret: str, base_url: str) -> None:
    page.locator("select[name=provider]").select_option("openai_compat")
    page.locator("input[name=secret]").fill(secret)
    page.locator("input[name=base_url]").fill(base_url)
    page.locator("#key-form button[type=submit]").click()


def start_debate(page: Page) -> str:
    body = {
        "question": "Should a small team run its own language model server?",
        "seats": [
            {"model": MODEL, "role": "proponent"},
            {"model": MODEL, "role": "skeptic"},
        ],
        "judges": [MODEL],
        "chair": MODEL,
        "rounds": 1,
    }
    result = page.evaluate(
        """async (body) => {
            const token = document.querySelector('meta[name=csrf-token]').content;
            const response = await fetch('/api/v1/debates/', {
                method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
                body: JSON.stringify(body),
            });
            return {status: response.status, body: await response.json()};
        }""",
        body,
    )
    assert result["status"] == 202, result
    return str(result["body"]["id"])


def test_owner_runs_a_debate_on_the_teams_own_key(
    page: Page, e2e_server: E2EServer, user: E2EUser, endpoint: FakeLLMServer
) -> None:
    log_in(page, email=user.email)
    team_id = team_id_of(e2e_server, user)
    # Without a key of its own the team cannot pick the local model (the platform has none).
    page.goto("/debates/new/")
    expect(page.locator("main")).not_to_contain_text("Llama 3.1 8B (local)")

    page.goto(f"/teams/{team_id}/")
    page.get_by_role("link", name="Manage provider keys").click()
    expect(page.locator("h1")).to_have_text("Provider keys")
    save_key(page, TEAM_KEY, endpoint.openai_base_url)
    expect(page.locator(".messages")).to_contain_text("key is saved")
    row = page.locator("tr[data-provider-key=openai_compat]")
    expect(row).to_contain_text("…OWNK")
    expect(row).to_contain_text("Not tested yet")
    assert TEAM_KEY not in page.content()
    row.get_by_role("button", name="Test").click()
    expect(page.locator(".messages")).to_contain_text("accepted the key")
    expect(row).to_contain_text("Working")
    save_screenshot(page, "provider-keys-en")

    # The picker lists the model as reached with the team's key; a debate runs on it.
    page.goto("/debates/new/")
    expect(page.locator("main")).to_contain_text("Llama 3.1 8B (local)")
    expect(page.locator("main")).to_contain_text("your team's key")
    requests_before = endpoint.counters.requests
    debate_id = start_debate(page)
    page.goto(f"/debates/{debate_id}/live/")
    expect(page.locator("[data-live=status]")).to_have_text("Completed", timeout=DEBATE_TIMEOUT_MS)
    save_screenshot(page, "provider-keys-debate-en")
    assert endpoint.counters.requests > requests_before
    assert endpoint.counters.auth_failures == 0

    output = e2e_server.shell(_USAGE.format(debate_id=debate_id))
    usage = json.loads(output.strip().splitlines()[-1])
    assert usage["status"] == "completed"
    assert usage["lines"]
    assert all(own for _key, own, _calls in usage["lines"]), usage
    assert usage["records"]
    assert all(own for _key, own, _tokens in usage["records"]), usage
    # Metered as own key: nothing of the plan's token and cost quotas is used.
    assert usage["reserved"] == ["settled", 0, "0.000000"], usage
    assert all(TEAM_KEY not in token for token in usage["stored"])


def test_a_refused_key_shows_the_providers_reason_in_turkish(
    page: Page, e2e_server: E2EServer, endpoint: FakeLLMServer
) -> None:
    user = e2e_server.create_user(display_name="Cahit Arf", locale="tr")
    log_in(page, email=user.email)
    team_id = team_id_of(e2e_server, user)
    page.goto(f"/teams/{team_id}/provider-keys/")
    expect(page.locator("h1")).to_have_text("Sağlayıcı anahtarları")
    save_key(page, WRONG_KEY, endpoint.openai_base_url)
    row = page.locator("tr[data-provider-key=openai_compat]")
    expect(row).to_contain_text("Henüz denenmedi")
    row.get_by_role("button", name="Dene").click()
    expect(page.locator(".messages")).to_contain_text("Invalid API key (fakellm).")
    expect(row).to_contain_text("Sağlayıcı reddetti")
    expect(row.locator(".provider-key-error")).to_contain_text("Invalid API key (fakellm).")
    assert WRONG_KEY not in page.content()
    save_screenshot(page, "provider-keys-rejected-tr")
    status, reason, when = json.loads(
        e2e_server.shell(_KEY.format(team_id=team_id)).strip().splitlines()[-1]
    )
    assert status == "rejected"
    assert reason == "Invalid API key (fakellm)."
    assert when
