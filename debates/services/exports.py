"""A finished (or stopped) debate as people read it outside the app: a Markdown document, and
the human words for the machine codes a debate ends with. (The JSON export is the API's detail
serializer, rendered by the view.)"""

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from debates.models import Debate, DebateStatus, FailureReason, SeatRole, Stance


def failure_text(code: str) -> str:
    """Human words for a stop code (FailureReason); '' for none. An unknown code, e.g. from
    an older release, is shown as it is."""
    if not code:
        return ""
    if code not in FailureReason.values:
        return _("The debate stopped (%(code)s).") % {"code": code}
    return str(FailureReason(code).label)


_KIND_WORDS = {
    "email": lambda n: ngettext("%(n)d e-mail address", "%(n)d e-mail addresses", n),
    "phone": lambda n: ngettext("%(n)d phone number", "%(n)d phone numbers", n),
    "card": lambda n: ngettext("%(n)d card number", "%(n)d card numbers", n),
    "iban": lambda n: ngettext("%(n)d IBAN", "%(n)d IBANs", n),
    "name": lambda n: ngettext("%(n)d name", "%(n)d names", n),
    "address": lambda n: ngettext("%(n)d postal address", "%(n)d postal addresses", n),
}


def redaction_summary(redactions: dict[str, int]) -> str:
    """What was replaced by placeholders, in words: "1 e-mail address, 2 phone numbers"."""
    parts = [
        _KIND_WORDS[kind](count) % {"n": count}
        for kind, count in sorted(redactions.items())
        if kind in _KIND_WORDS and count
    ]
    return ", ".join(parts)


def percent_text(value: float) -> str:
    """0.72 -> "72%" (or "%72": where the sign goes is the language's choice)."""
    return _("%(percent)s%%") % {"percent": round(value * 100)}


def number_text(value: float, digits: int = 1) -> str:
    """7.6 -> "7.6" in English, "7,6" in Turkish: numbers as the active language writes them."""
    return number_format(round(value, digits), digits, use_l10n=True)


def seat_text(seat: int | str) -> str:
    """A seat as readers see it, by position (0) or protocol label ("Seat A"): "Koltuk A" in
    Turkish. The models always see the untranslated "Seat A" (Seat.label)."""
    letter = seat.rsplit(" ", 1)[-1] if isinstance(seat, str) else chr(ord("A") + seat)
    return _("Seat %(letter)s") % {"letter": letter}


def methodology_url() -> str:
    """Where the ranking of one debate is explained in full."""
    return reverse("leaderboard-methodology") + "#debate-result"


def ranking_note() -> str:
    """The scoreboard's method in one line (page, live view, export and API say the same)."""
    return _(
        "Ranked by Borda points, not by mean score: each judge ranks the seats it scored "
        "(never its own model's seat), and a seat's points are averaged over those judges."
    )


def round_title(number: int) -> str:
    return _("Opening") if number == 0 else _("Rebuttal %(n)d") % {"n": number}


def role_label(value: str) -> str:
    return str(SeatRole(value).label) if value in SeatRole.values else value


def stance_label(value: str) -> str:
    return str(Stance(value).label) if value in Stance.values else ""


def _lines(*blocks: Iterable[str]) -> str:
    return "\n".join(line for block in blocks for line in block).rstrip() + "\n"


def _heading(level: int, text: str) -> str:
    return f"{'#' * level} {text}"


def _item(label: str, value: object) -> str:
    return f"- {label}: {value}"


def _cell(text: object) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    return str(text).replace("\n", " ").replace("|", "\\|")


def _summary(debate: Debate) -> list[str]:
    lines = [
        _heading(1, pgettext("title of an exported document", "Debate")),
        "",
        *(f"> {line}" if line else ">" for line in debate.question.splitlines()),
        "",
        _item(_("Status"), DebateStatus(debate.status).label),
        _item(_("Category"), debate.get_category_display()),
        _item(_("Rebuttal rounds"), debate.rounds),
        _item(_("Started"), debate.created_at.isoformat(timespec="seconds")),
    ]
    if debate.uses_demo:
        lines.append("- " + _("Demo models: the answers are simulated, offline."))
    if reason := failure_text(debate.failure_reason):
        lines.append(_item(_("Why it stopped"), f"{reason} (`{debate.failure_reason}`)"))
    if debate.budget_reason:
        lines.append(_item(_("Budget"), debate.budget_reason))
    return [*lines, ""]


def _answer(debate: Debate) -> list[str]:
    synthesis = debate.synthesis or {}
    if not synthesis:
        return []
    lines = [_heading(2, _("Final answer")), ""]
    chair = synthesis.get("chair_name") or synthesis.get("chair") or ""
    if chair:
        note = " (" + _("substitute chair") + ")" if synthesis.get("substitute_chair") else ""
        lines += ["*" + _("Chair") + f": {chair}{note}*", ""]
    if recommendation := synthesis.get("recommendation"):
        lines += [_heading(3, _("Recommendation")), "", str(recommendation), ""]
    if consensus := synthesis.get("consensus"):
        lines += [_heading(3, _("Consensus")), "", str(consensus), ""]
    if disagreements := synthesis.get("disagreements"):
        lines += [_heading(3, _("Disagreements")), ""]
        lines += [f"- {_cell(item)}" for item in disagreements]
        lines.append("")
    if (confidence := synthesis.get("confidence")) is not None:
        lines += [_("Confidence") + ": " + percent_text(float(confidence)), ""]
    return lines


def _scoreboard(debate: Debate) -> list[str]:
    if not any(isinstance(row.get("mean"), int | float) for row in debate.scoreboard or []):
        return []  # nobody was scored: no table of dashes
    columns = [_("Rank"), _("Seat"), _("Role"), _("Model"), _("Borda points"), _("Mean score")]
    lines = [
        _heading(2, _("Scoreboard")),
        "",
        "| " + " | ".join(columns) + " |",
        "|---|---|---|---|---|---|",
    ]
    for row in debate.scoreboard:
        mean, borda = row.get("mean"), row.get("borda")
        lines.append(
            "| {} | {} | {} | {} | {} | {} |".format(
                row.get("rank") or "-",
                _cell(seat_text(str(row.get("label", "")))),
                _cell(role_label(str(row.get("role", "")))),
                _cell(row.get("model_name") or row.get("model", "")),
                number_text(borda, 2) if isinstance(borda, int | float) else "-",
                number_text(mean) if isinstance(mean, int | float) else "-",
            )
        )
    return [*lines, "", f"*{ranking_note()}* <{settings.SITE_URL}{methodology_url()}>", ""]


def _transcript(debate: Debate) -> list[str]:
    turns = list(debate.turns.all())
    if not turns:
        return []
    seats = {seat.pk: seat for seat in debate.seats.all()}
    lines = [_heading(2, _("Transcript")), ""]
    current = None
    for turn in sorted(turns, key=lambda t: (t.round, seats[t.seat_id].position)):
        if turn.round != current:
            current = turn.round
            lines += [f"### {round_title(turn.round)}", ""]
        seat = seats[turn.seat_id]
        who = f"{seat_text(seat.position)} · {role_label(seat.role)}"
        heading = f"#### {who} · {seat.llm_model.display_name}"
        if stance := stance_label(turn.stance):
            heading += " · " + _("Stance") + f": {stance}"
        lines += [heading, ""]
        if turn.status == "failed":
            lines += ["*" + _("This seat could not answer in this round.") + "*", ""]
        else:
            lines += [turn.content.strip(), ""]
    return lines


def _judgments(debate: Debate) -> list[str]:
    judgments = list(debate.judgments.all())
    if not judgments:
        return []
    lines = [_heading(2, _("Judges")), ""]
    current = None
    for judgment in judgments:
        if judgment.seat_id != current:
            current = judgment.seat_id
            lines += [f"### {seat_text(judgment.seat.position)}", ""]
        total = number_text(judgment.total) if judgment.total is not None else "-"
        rationale = judgment.rationale.strip() or _("(no rationale)")
        lines.append(f"- **{judgment.judge_model.display_name}** ({total}): {_cell(rationale)}")
    return [*lines, ""]


def _usage(debate: Debate) -> list[str]:
    return [
        _heading(2, _("Usage")),
        "",
        _item(
            _("Input tokens"),
            number_format(debate.input_tokens, use_l10n=True, force_grouping=True),
        ),
        _item(
            _("Output tokens"),
            number_format(debate.output_tokens, use_l10n=True, force_grouping=True),
        ),
        _item(_("Cost"), f"${debate.cost_usd:.4f}"),
    ]


def debate_markdown(*, debate: Debate) -> str:
    """The whole debate as one Markdown document, headings in the active language. Model
    output is kept as the models wrote it (Markdown): this is a download, never HTML."""
    return _lines(
        _summary(debate),
        _answer(debate),
        _scoreboard(debate),
        _transcript(debate),
        _judgments(debate),
        _usage(debate),
    )
