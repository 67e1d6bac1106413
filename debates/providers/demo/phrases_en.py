"""English phrase book of the demo provider.

Placeholders: {topic} (the question, shortened), {t1} {t2} {t3} (key words of the question,
in quotes: “startup”), {other} (another seat's label, e.g. "Seat B"), {n} (the round number).
A key word is any content word of the question (a noun, an adjective, a verb), so templates
never use it as a bare noun ("Consider startup."): it always stands in a frame that reads
naturally whatever the word is ("the part about “startup”", "the “startup” side"). Each list holds
interchangeable variants; the composer picks one per slot with a seeded random.
"""

from debates.providers.demo.phrasebook import Phrasebook, RolePhrases

PROPONENT = RolePhrases(
    title="Proponent",
    opening=(
        "My answer to “{topic}” is yes, with conditions. The strongest reason lies in the "
        "part about {t1}: handled deliberately, it turns a vague ambition into something a "
        "team can plan, measure and correct.",
        "I will argue for it. “{topic}” sounds like a leap, but most of the risk people "
        "imagine on the {t1} side disappears once the work is staged and has clear exit points.",
    ),
    body=(
        "Consider the {t2} side of the question. Teams that moved early usually report that the "
        "first months were the expensive part, and that the payoff arrived once the work on {t1} "
        "became routine rather than a project. Delaying does not remove that cost; it only moves "
        "it to a worse moment.",
        "The practical upside sits in what the question says about {t2} and {t3}. Both parts "
        "improve the day-to-day, and both compound: each quarter of experience makes the next "
        "decision on the {t1} side cheaper.",
    ),
    rebuttal=(
        "{other} raises fair concerns, but they describe a careless version of the plan. Nothing "
        "I proposed requires an all-at-once switch on the {t1} side; it requires a pilot, a "
        "metric and a date to decide.",
        "I take {other}'s warning about the {t2} side seriously, and it sharpens my position "
        "rather than overturning it: start small, publish what you measure, and stop if the "
        "numbers say so.",
    ),
    closing=(
        "So my recommendation stands: go ahead, begin with a bounded pilot on the {t1} side, "
        "and judge it on evidence after a fixed period.",
        "In short, the benefits are concrete and the risks are manageable. Proceed, in stages.",
    ),
    claims=(
        "A staged approach to the {t1} side keeps the downside bounded",
        "Waiting does not remove the cost of the {t1} side; it moves it",
        "Gains on the {t2} side compound over time",
        "A pilot with a clear metric settles the question cheaply",
    ),
)

SKEPTIC = RolePhrases(
    title="Skeptic",
    opening=(
        "I am not convinced. “{topic}” is usually asked as if the {t1} part had an obvious "
        "answer, and that framing deserves scrutiny before anyone commits money or people.",
        "Before saying yes to “{topic}”, we should ask what would have to be true. For the {t1} "
        "side to pay off, several optimistic assumptions must hold at the same time.",
    ),
    body=(
        "The evidence people cite on the {t1} side tends to come from cases that succeeded; "
        "the quiet failures rarely get written up. The {t2} side in particular is where hidden "
        "costs appear: migration effort, retraining and the months of reduced output.",
        "Look closely at the parts about {t2} and {t3}. Each has a plausible story, but neither "
        "has a number attached. Without a baseline, any later success will be claimed and any "
        "failure explained away.",
    ),
    rebuttal=(
        "{other} argues that a pilot limits the risk. Pilots are chosen to succeed, though: "
        "they get the best people and the easiest case, so they say little about the {t1} "
        "side at full scale.",
        "I agree with {other} on one point: doing nothing has a cost too. But that is an "
        "argument for measuring the status quo, not for assuming that acting on {t1} beats it.",
    ),
    closing=(
        "My position: not yet. Define the baseline, name the failure condition for the {t1} "
        "side, and revisit with data.",
        "Until someone can say what result would make us stop, I would hold off.",
    ),
    claims=(
        "Success stories on the {t1} side suffer from survivorship bias",
        "Hidden costs cluster on the {t2} side",
        "No baseline means no way to judge the outcome",
        "Pilots overstate results at scale",
    ),
)

PRAGMATIST = RolePhrases(
    title="Pragmatist",
    opening=(
        "The useful version of “{topic}” is not yes or no but: under which conditions, and in "
        "what order? My answer depends mostly on the {t1} side and on who has to carry the work.",
        "Both camps have a point, so let me focus on what can be done on Monday. The part about "
        "{t1} is the lever; the rest of “{topic}” follows from how we handle it.",
    ),
    body=(
        "Concretely: write down the two or three outcomes that matter, check the {t2} side "
        "against them, and give the decision an owner and a deadline. Most arguments about the "
        "{t1} side stall because nobody owns the call.",
        "Split the question. The {t2} side is cheap to test and reversible; the {t3} side is "
        "expensive and hard to undo. Do the reversible part now and let its results inform the "
        "rest.",
    ),
    rebuttal=(
        "{other}'s point is right in principle, but it leaves the team without a next step. "
        "Here is one: a four-week trial on the {t1} side with a written stop rule.",
        "The gap between the previous speakers is smaller than it looks. {other} wants evidence "
        "and the others want momentum; a time-boxed experiment on the {t2} side gives both.",
    ),
    closing=(
        "Recommendation: make the reversible moves first, measure, then decide on the {t1} side "
        "with real numbers in hand.",
        "Keep it simple: one owner, one metric, one review date.",
    ),
    claims=(
        "Separate reversible from irreversible decisions",
        "A time-boxed trial on the {t1} side answers most open questions",
        "Every decision on the {t2} side needs an owner and a deadline",
        "Measure the status quo before changing it",
    ),
)

RESEARCHER = RolePhrases(
    title="Researcher",
    opening=(
        "Let me lay out what is actually known about “{topic}”. The evidence on the {t1} side "
        "is mixed: results depend heavily on context, scale and how success is measured.",
        "Three bodies of evidence bear on “{topic}”: experience reports on the {t1} "
        "side, studies of the {t2} side, and the base rate of similar changes succeeding.",
    ),
    body=(
        "Studies in comparable settings tend to find modest average effects with wide "
        "variance. The cases that went well on the {t2} side shared preparation, executive "
        "support and a clear measure; the ones that went badly lacked at least one of these.",
        "On the {t3} side the data is thinner. I would treat confident claims in either direction "
        "with caution and look for sources that report failures as well as successes.",
    ),
    rebuttal=(
        "A correction to {other}: the strongest evidence on the {t1} side does not show a "
        "universal effect either way. It shows that conditions matter more than the choice "
        "itself.",
        "{other} cites benefits on the {t2} side. Those figures are real but come from a different "
        "scale; extrapolating them here adds uncertainty we should state openly.",
    ),
    closing=(
        "Summary of the evidence: positive under the right conditions, weak or negative "
        "without them. Check those conditions on the {t1} side first.",
        "The honest answer is conditional; the conditions are knowable and worth checking.",
    ),
    claims=(
        "Evidence on the {t1} side shows wide variance across contexts",
        "Success cases share preparation and a clear measure",
        "Data on the {t3} side is thin; confidence should be low",
        "Base rates for similar changes are moderate at best",
    ),
)

DEVILS_ADVOCATE = RolePhrases(
    title="Devil's advocate",
    opening=(
        "Let me argue the position nobody here is taking. Perhaps “{topic}” is the wrong "
        "question, and the real issue is not the {t1} part but what we expect it to fix.",
        "Suppose we do the opposite of the obvious answer to “{topic}”. What breaks? If the "
        "answer is “not much”, the {t1} part matters less than this debate assumes.",
    ),
    body=(
        "Everyone is treating the {t2} side as a given. It is not. Organisations have reached the "
        "same goals through very different routes, and some of them never touched the {t1} part.",
        "Take the worst case seriously for a moment: the {t3} side goes wrong, the schedule "
        "slips and the people who pushed on the {t1} side have moved on. Who cleans up?",
    ),
    rebuttal=(
        "{other} sounds reasonable, which is exactly why the position needs testing. If we "
        "cannot state the strongest argument against acting on {t1}, we do not understand it yet.",
        "The panel is converging quickly, and quick consensus is a warning sign. {other}'s "
        "plan assumes the {t2} side stays stable; what if it does not?",
    ),
    closing=(
        "I do not claim the majority is wrong, only that it has not yet earned its "
        "confidence. Test the opposite hypothesis on the {t1} side before committing.",
        "Argue the other side once, properly. If the plan survives, it is stronger for it.",
    ),
    claims=(
        "The framing of the question hides the real goal",
        "Other routes reach the same goal without touching {t1}",
        "Fast consensus deserves suspicion",
        "The worst case on the {t3} side has no owner",
    ),
)

PHRASEBOOK = Phrasebook(
    roles={
        "proponent": PROPONENT,
        "skeptic": SKEPTIC,
        "pragmatist": PRAGMATIST,
        "researcher": RESEARCHER,
        "devils_advocate": DEVILS_ADVOCATE,
    },
    marker="[demo]",
    opening_heading="Opening statement: {title}",
    rebuttal_heading="Round {n} rebuttal: {title}",
    fallback_terms=("goal", "cost", "timing"),
    judge_rationales=(
        "Clear structure and a concrete recommendation; evidence could be stronger.",
        "Raises the right risks but offers few specifics on what to do next.",
        "Well argued and balanced; engages directly with the other seats.",
        "Relies on assertion more than evidence; the key claim on the {t1} side is unsupported.",
        "Practical and specific, though it underplays the downside on the {t2} side.",
    ),
    consensus=(
        "The panel agrees that the {t1} part of the question should not be decided on intuition: "
        "a bounded, measured first step is better than either a full commitment or doing nothing."
    ),
    disagreements=(
        "How much weight the hidden costs on the {t2} side deserve against the expected benefits.",
        "Whether a pilot says enough about the {t1} side at full scale.",
        "How long to wait for evidence before deciding.",
    ),
    recommendation=(
        "Run a time-boxed trial on the {t1} side with one owner, a written success metric and a "
        "stop rule; measure the current baseline first; review the results before any larger "
        "commitment on the {t2} side."
    ),
    synthesis_headings=("Consensus", "Disagreements", "Recommendation"),
    judge_heading="Scores",
)
