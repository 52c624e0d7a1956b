"""A hand-labelled set of spoken English sentences for SpeakPro's filler rules (`services.text.count_fillers`).

Each case is (text, the fillers it holds by kind, why). Punctuated cases are written as a careful
transcriber would; unpunctuated ones as speech recognition delivers them. The labels follow what a speaking
coach counts: a filler carries no meaning and could be dropped without changing the sentence.

- Vocal fillers (um, uh, er, erm, ah, hmm, and their lengthened or "uhm" spellings) always, except
  backchannels and exclamations written as one hyphenated word (uh-huh, uh-oh, mm-hmm) and words in
  capitals, which are abbreviations (the ER, UM, HMM).
- "basically" always (a hedge that adds nothing).
- "you know" / "I mean" when they are discourse markers, punctuated or not; not when "know" / "mean"
  have their meaning ("Do you know the price?", "as you know", "I mean it", "what I mean").
- "like" when it is a discourse marker, a quotative ("I was like, no way") or an approximation hedge
  ("like ten minutes"); not when it is a verb ("I like it"), a preposition or a comparison ("tools like
  Slack", "it's like a CRM", "Like most teams"), or part of "feel / look / sound / seem like".

Run `python -m tests.unit.filler_corpus` to print the rules' precision and recall on it.
"""

from __future__ import annotations

from collections import Counter

CASES: list[tuple[str, dict[str, int], str]] = [
    # --- vocal fillers -------------------------------------------------------------------------------------
    ("Um, I think we can start.", {"um": 1}, "hesitation at the start"),
    ("So uh the price is fair.", {"uh": 1}, "hesitation mid-sentence, unpunctuated"),
    ("We need, er, two more weeks.", {"er": 1}, "British hesitation between commas"),
    ("Erm, could you repeat that?", {"er": 1}, "erm is the same hesitation as er"),
    ("Uhm, that's a good question.", {"um": 1}, "uhm is a spelling of um"),
    ("Ummm let me check.", {"um": 1}, "lengthened um"),
    ("Uhhh I'm not sure.", {"uh": 1}, "lengthened uh"),
    ("Hmm, I need to think about it.", {"hmm": 1}, "thinking noise"),
    ("Hmmm maybe next week.", {"hmm": 1}, "lengthened hmm"),
    ("Ah, let me see.", {"ah": 1}, "hesitation before looking something up"),
    ("I um I forgot the number.", {"um": 1}, "restart after a hesitation"),
    ("The, uh, the onboarding takes three months.", {"uh": 1}, "hesitation inside a repeated article"),
    ("Um uh let's move on.", {"um": 1, "uh": 1}, "two hesitations in a row"),
    ("We could, um, offer a pilot, uh, next month.", {"um": 1, "uh": 1}, "two hesitations"),
    ("UM, well, I guess so.", {"um": 1}, "shouted hesitation written in capitals at the start, then a comma"),
    ("Uh-huh, that makes sense.", {}, "backchannel agreement, not a hesitation"),
    ("Uh-oh, the demo froze.", {}, "exclamation, not a hesitation"),
    ("Mm-hmm, go on.", {}, "backchannel"),
    ("She went to the ER last night.", {}, "abbreviation: emergency room"),
    ("Our ERM team reviews every vendor.", {}, "abbreviation: enterprise risk management"),
    ("He studied at UM in Ann Arbor.", {}, "abbreviation: University of Michigan"),
    ("The HMM model tags each word.", {}, "abbreviation: hidden Markov model"),
    ("The battery holds 5 Ah of charge.", {}, "abbreviation: ampere-hour"),
    ("We met at the museum.", {}, "um inside a word"),
    ("Summer is our busiest season.", {}, "um inside a word"),
    ("The error rate dropped.", {}, "er inside a word"),
    ("Aha, now I see it.", {}, "aha is an exclamation of understanding"),
    ("Huh? I didn't catch that.", {}, "huh asks for repetition"),
    ("Ahead of the call I read your notes.", {}, "ah inside a word"),
    ("um so we started in march", {"um": 1}, "unpunctuated recognition output"),
    ("and uh the team liked it", {"uh": 1}, "unpunctuated recognition output"),
    ("Er, no, that's wrong.", {"er": 1}, "hesitation before a correction"),
    ("Uh, hmm, give me a second.", {"uh": 1, "hmm": 1}, "two thinking noises"),
    ("I'd say, um, around Friday.", {"um": 1}, "hesitation before a date"),
    ("The umbrella policy covers it.", {}, "um inside a word"),
    # --- basically -------------------------------------------------------------------------------------------
    ("Basically, we cut onboarding to six weeks.", {"basically": 1}, "hedge at the start"),
    ("It's basically free for the first month.", {"basically": 1}, "hedge mid-sentence"),
    ("So basically you upload the file.", {"basically": 1}, "hedge, unpunctuated"),
    ("We basically, um, restarted the project.", {"basically": 1, "um": 1}, "hedge and hesitation"),
    ("The basic plan is enough.", {}, "basic is not basically"),
    # --- you know ------------------------------------------------------------------------------------------
    ("You know, the team was tired.", {"you know": 1}, "discourse marker at the start, comma"),
    ("It was, you know, a long quarter.", {"you know": 1}, "between commas"),
    ("We tried everything, you know.", {"you know": 1}, "tag at the end"),
    ("It takes time, you know?", {"you know": 1}, "tag question asking for agreement"),
    ("Do you know the price?", {}, "a real question: know has its meaning"),
    ("Did you know that we ship weekly?", {}, "a real question"),
    ("If you know the answer, say it.", {}, "conditional: know has its meaning"),
    ("You know the answer already.", {}, "know takes an object"),
    ("As you know, we launched in May.", {}, "set phrase: as you are aware"),
    ("You know what, let's try it.", {}, "'you know what' announces a decision: a set phrase"),
    ("Let me know what you think.", {}, "let me know is not you know"),
    ("I know you know this product.", {}, "know with an object"),
    ("That's more than you know.", {}, "comparison: know has its meaning"),
    ("Now you know.", {}, "you know has its meaning: now you are aware"),
    ("Do you know, or should I ask?", {}, "real question even with a comma"),
    ("so you know we tried the pilot first", {"you know": 1}, "recognition output: after 'so', before a clause"),
    ("and you know it worked out", {"you know": 1}, "recognition output: after 'and', before a clause"),
    ("but you know we still need approval", {"you know": 1}, "recognition output: after 'but'"),
    ("because you know they had no budget", {"you know": 1}, "recognition output: after 'because'"),
    ("um you know i think so", {"um": 1, "you know": 1}, "recognition output: after a hesitation"),
    ("you know we should call them", {"you know": 1}, "recognition output: utterance start, then a clause"),
    ("you know i never thought about that", {"you know": 1}, "recognition output: utterance start"),
    ("do you know how long it takes", {}, "recognition output: a real question"),
    ("you know how it is", {}, "set phrase with meaning: you understand"),
    ("so you know the price already", {}, "know takes an object"),
    ("if you know anyone who needs it tell me", {}, "conditional with an object"),
    ("and you know what happened next", {}, "know takes a clause object"),
    ("I think you know them", {}, "know takes an object"),
    ("You know, I mean, it's fine.", {"you know": 1, "i mean": 1}, "two discourse markers"),
    ("You know, you know, it happens.", {"you know": 2}, "repeated marker"),
    # --- I mean -------------------------------------------------------------------------------------------
    ("I mean, the price is fair.", {"i mean": 1}, "discourse marker at the start"),
    ("It's fine, I mean, mostly.", {"i mean": 1}, "between commas"),
    ("I mean it.", {}, "mean has its meaning"),
    ("I mean that sincerely.", {}, "mean takes an object"),
    ("That's what I mean.", {}, "mean has its meaning"),
    ("I mean to call them tomorrow.", {}, "mean to: intend"),
    ("You see what I mean?", {}, "mean has its meaning"),
    ("i mean we could try it", {"i mean": 1}, "recognition output: utterance start, then a clause"),
    ("so i mean they liked it", {"i mean": 1}, "recognition output: after 'so'"),
    ("and i mean honestly it was cheap", {"i mean": 1}, "recognition output: after 'and'"),
    ("i mean no harm", {}, "mean takes an object"),
    ("i mean what i say", {}, "mean takes a clause object"),
    ("I didn't mean that.", {}, "mean has its meaning"),
    ("By the term churn I mean customers who leave.", {}, "defining a term: mean has its meaning"),
    ("What do you mean?", {}, "a real question"),
    ("It means a lot.", {}, "means, not I mean"),
    ("I mean, I mean, we tried.", {"i mean": 2}, "repeated marker"),
    # --- like: fillers ------------------------------------------------------------------------------------
    ("It was, like, really fast.", {"like": 1}, "between commas"),
    ("Like, honestly, no.", {"like": 1}, "starts the sentence, comma"),
    ("She was like wow.", {"like": 1}, "quotative after 'was'"),
    ("I was like, no way.", {"like": 1}, "quotative"),
    ("They were like why now", {"like": 1}, "quotative, unpunctuated"),
    ("And, like, how long does it take?", {"like": 1}, "between commas"),
    ("It takes like ten minutes.", {"like": 1}, "approximation hedge before a number"),
    ("We have like 40 reps.", {"like": 1}, "approximation hedge before a number"),
    ("It's just like five dollars a seat.", {"like": 1}, "hedge after 'just' before a number"),
    ("That's like twenty percent cheaper.", {"like": 1}, "hedge before a number after 'that's'"),
    ("There were like a hundred people.", {"like": 1}, "hedge before 'a hundred'"),
    ("It was like really good.", {"like": 1}, "hedge before an adverb after 'was'"),
    ("It's like super easy.", {"like": 1}, "hedge before an adverb"),
    ("He's like always late.", {"like": 1}, "hedge before an adverb"),
    ("We just, like, stopped.", {"like": 1}, "between commas after 'just'"),
    ("like we need this now", {"like": 1}, "recognition output: utterance start, then a clause"),
    ("so like we tried it", {"like": 1}, "recognition output: after 'so'"),
    ("and like nobody answered", {"like": 1}, "recognition output: after 'and'"),
    ("it was like a nightmare, like, honestly.", {"like": 1}, "first is a comparison, second between commas"),
    ("Like, like, I don't know.", {"like": 2}, "repeated marker"),
    ("I'm like, sure, why not.", {"like": 1}, "quotative after 'I'm'"),
    ("It's like, you know, hard.", {"like": 1, "you know": 1}, "two markers"),
    ("Um, like, basically we're done.", {"um": 1, "like": 1, "basically": 1}, "three fillers"),
    ("we were like maybe next week", {"like": 1}, "quotative, recognition output"),
    ("It costs like maybe fifty bucks.", {"like": 1}, "hedge before an approximation"),
    ("He said it's like two hours away.", {"like": 1}, "hedge before a number"),
    ("We need like three more weeks.", {"like": 1}, "hedge before a number after a noun context"),
    ("I need, like, a minute.", {"like": 1}, "between commas"),
    # --- like: not fillers --------------------------------------------------------------------------------
    ("I like your product.", {}, "verb after a pronoun"),
    ("Tools like Slack help.", {}, "preposition after a noun"),
    ("I would like a demo.", {}, "after a modal"),
    ("It looks like a fit.", {}, "'looks like'"),
    ("It's like a CRM for coaches.", {}, "comparison after 'it's', before an article"),
    ("It was like a nightmare.", {}, "comparison before an article"),
    ("Like most teams, we started small.", {}, "preposition at the sentence start"),
    ("Like many startups, they pivoted.", {}, "preposition at the sentence start"),
    ("Like I said, the price is fixed.", {}, "set phrase: as I said"),
    ("Like you said, it takes time.", {}, "set phrase: as you said"),
    ("Like the old system, it needs a server.", {}, "preposition at the sentence start"),
    ("Just like my last job, we used spreadsheets.", {}, "comparison after 'just'"),
    ("It's just like the old version.", {}, "comparison after 'just'"),
    ("That's like the plan we discussed.", {}, "comparison before an article"),
    ("Do you like it?", {}, "verb in a question"),
    ("They don't like long calls.", {}, "negated verb"),
    ("We'd like to book a demo.", {}, "after 'we'd'"),
    ("It sounds like a plan.", {}, "'sounds like'"),
    ("It feels like Monday.", {}, "'feels like'"),
    ("Something like that works.", {}, "'something like'"),
    ("More like a month.", {}, "'more like'"),
    ("People like you make it easier.", {}, "preposition after a noun"),
    ("I really like the dashboard.", {}, "verb after 'really'"),
    ("Customers like fast answers.", {}, "verb after a plural noun"),
    ("Nobody likes waiting.", {}, "likes is a verb"),
    ("The likelihood is low.", {}, "like inside a word"),
    ("We are alike in that.", {}, "alike is another word"),
    ("Do it like this.", {}, "manner: like this"),
    ("She looks like her mother.", {}, "'looks like'"),
    ("It seems like the right call.", {}, "'seems like'"),
    ("What's it like there?", {}, "what is it like: a real question"),
    ("i like how your team works", {}, "recognition output: verb"),
    ("we would like a quote", {}, "recognition output: after a modal"),
    ("It is like a checklist for calls.", {}, "comparison after 'is'"),
    ("Like any tool, it needs training.", {}, "preposition at the sentence start"),
    ("Like every quarter, we review targets.", {}, "preposition at the sentence start"),
    ("They were like family to us.", {}, "comparison before a noun"),
    ("It's like what we did last year.", {}, "comparison before a clause"),
    # --- sentences with no filler --------------------------------------------------------------------------
    ("We cut onboarding from three months to six weeks.", {}, "plain statement"),
    ("Would a short demo next Tuesday work for you?", {}, "plain question"),
    ("Our clients see results in the first month.", {}, "plain statement"),
    ("The pilot costs nothing for thirty days.", {}, "plain statement"),
    ("Can I ask what your budget looks like?", {}, "'looks like' at the end"),
    ("I know the numbers by heart.", {}, "know without you"),
    ("You knew the risks.", {}, "knew is not know"),
    ("Mean time to resolve is four hours.", {}, "mean as average"),
    ("The mean score rose to 82.", {}, "mean as average"),
    ("What does this clause mean for us?", {}, "mean as a verb in a question"),
    ("Well, that's a fair point.", {}, "well is not counted by SpeakPro's rules"),
    ("So, what's the next step?", {}, "so is not counted"),
    ("Right, let's book it.", {}, "right is not counted"),
    ("Okay, I'll send the contract.", {}, "okay is not counted"),
    ("Honestly, the price surprised me.", {}, "honestly is not counted"),
    ("Literally every rep asked for it.", {}, "literally is not counted"),
    ("The erratic numbers worried us.", {}, "er inside a word"),
    ("Hummingbird is the project name.", {}, "hm inside a word"),
    ("Ahmed will join the call.", {}, "ah inside a name"),
    ("Umar leads the sales team.", {}, "um inside a name"),
    ("The unit costs 12 dollars.", {}, "plain statement"),
    ("we shipped the update on friday", {}, "recognition output, no filler"),
    ("can you send me the deck", {}, "recognition output, no filler"),
    ("they asked about pricing and support", {}, "recognition output, no filler"),
    # --- hard cases that stay hard (labelled by meaning, whatever the rules do) ----------------------------
    ("and you know the thing is we had no data", {"you know": 1}, "discourse marker before 'the thing is'"),
    ("i mean the blue one", {"i mean": 1}, "self-correction marker: 'I mean' rephrases"),
    # --- a second batch, written after the rules, kept whatever the rules do -------------------------------
    ("So, um, what made you reach out to us?", {"um": 1}, "hesitation in a discovery question"),
    ("Our reps spend like half their day on admin.", {"like": 1}, "approximation hedge before 'half'"),
    ("I'd love to, you know, show you the reports.", {"you know": 1}, "marker between commas"),
    ("The timeline is, uh, flexible.", {"uh": 1}, "hesitation between commas"),
    ("I mean, if it helps, we can wait.", {"i mean": 1}, "marker before a condition"),
    ("Would you like a copy of the slides?", {}, "verb after 'would you'"),
    ("That sounds like a great next step.", {}, "'sounds like'"),
    ("We onboarded like twelve new reps last month.", {"like": 1}, "approximation hedge"),
    ("they were like we don't have time", {"like": 1}, "quotative, recognition output"),
    ("you know our competitors charge more", {"you know": 1}, "recognition output: marker before a clause"),
    ("Hmm, that's a tough one.", {"hmm": 1}, "thinking noise"),
    ("Do you know who signs off on this?", {}, "a real question"),
    ("Basically it pays for itself.", {"basically": 1}, "hedge"),
    ("What I mean is the setup is quick.", {}, "'what I mean is': mean has its meaning"),
    ("Like a lot of teams, they use spreadsheets.", {}, "preposition at the sentence start"),
    ("We'd, um, need legal to review it.", {"um": 1}, "hesitation after a contraction"),
    ("It's, like, the best tool we've tried.", {"like": 1}, "between commas"),
    ("I really like what you built.", {}, "verb"),
    ("er so the budget is fixed", {"er": 1}, "recognition output: hesitation at the start"),
    ("Just so you know, the trial ends Friday.", {}, "'just so you know': a set phrase with meaning"),
    ("It's kind of like a flight simulator for sales.", {}, "comparison before an article"),
    ("And uh, yeah, we signed.", {"uh": 1}, "hesitation; 'yeah' is not counted"),
    ("uh-huh and then what happened", {}, "backchannel, recognition output"),
    ("I know, I know, it's late.", {}, "know without you"),
    ("We saw like a 30 percent lift.", {"like": 1}, "hedge before 'a 30'"),
]


def _score(count) -> tuple[int, int, int, list[tuple[str, dict[str, int], dict[str, int]]]]:
    true_positive = false_positive = false_negative = 0
    wrong = []
    for text, expected, _ in CASES:
        found = Counter(count(text))
        wanted = Counter(expected)
        hits = sum((found & wanted).values())
        true_positive += hits
        false_positive += sum(found.values()) - hits
        false_negative += sum(wanted.values()) - hits
        if found != wanted:
            wrong.append((text, dict(wanted), dict(found)))
    return true_positive, false_positive, false_negative, wrong


def precision_recall(count) -> tuple[float, float, list[tuple[str, dict[str, int], dict[str, int]]]]:
    """Precision and recall of `count(text) -> {kind: n}` over `CASES` (a filler of the right kind counts), and
    the cases it gets wrong as (text, expected, found)."""
    tp, fp, fn, wrong = _score(count)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, wrong


if __name__ == "__main__":
    from speakpro.services.text import count_fillers

    precision, recall, wrong = precision_recall(count_fillers)
    fillers = sum(sum(expected.values()) for _, expected, _ in CASES)
    print(f"{len(CASES)} sentences, {fillers} fillers: precision {precision:.3f}, recall {recall:.3f}")
    for text, expected, found in wrong:
        print(f"  {text!r}: expected {expected}, found {found}")
