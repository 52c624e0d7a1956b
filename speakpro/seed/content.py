"""Seed content for SpeakPro: curriculum, world, practice topics and demo dialogues."""

# Shared citations (well-known published works only)
_ANDERSON = {"title": "TED Talks: The Official TED Guide to Public Speaking", "author": "Chris Anderson", "year": 2016}
_HEATH = {"title": "Made to Stick", "author": "Chip Heath and Dan Heath", "year": 2007}
_DUARTE = {"title": "Resonate", "author": "Nancy Duarte", "year": 2010}
_RACKHAM = {"title": "SPIN Selling", "author": "Neil Rackham", "year": 1988}
_CARNEGIE = {"title": "How to Win Friends and Influence People", "author": "Dale Carnegie", "year": 1936}
_CIALDINI = {"title": "Influence", "author": "Robert Cialdini", "year": 1984}
_VOSS = {"title": "Never Split the Difference", "author": "Chris Voss", "year": 2016}
_GONG = {"title": "Talk-to-listen ratio research (Gong Labs)", "author": "Gong Labs", "year": 2017}
_CLARK = {
    "title": "Using uh and um in spontaneous speaking (Cognition)",
    "author": "Herbert H. Clark and Jean E. Fox Tree",
    "year": 2002,
}
_ERARD = {
    "title": "Um...: Slips, Stumbles, and Verbal Blunders, and What They Mean",
    "author": "Michael Erard",
    "year": 2007,
}

# Curriculum
LEVELS: list = [
    {
        "number": 1,
        "title": "Foundations of Confident Speaking",
        "description": (
            "Build the core habits every strong speaker and seller relies on: open with a hook, "
            "land one clear message, control your pace and fillers, ask questions that uncover real "
            "needs, and handle objections on the way to a confident next step."
        ),
        "milestone_threshold": 70,
        "milestone_prompt": (
            "Record a 2-minute talk recommending one change to a team or a customer (for example, a new "
            "tool, process or offer). Open with a hook in your first 15 seconds, state your one message "
            "in a single sentence, and signpost no more than three supporting points. Aim for 130-160 "
            "words per minute with fewer than 3 filler words per 100 words, and use at least two "
            "deliberate pauses. Include one question for your listener, answer one objection you expect "
            "them to raise, and finish by asking for a specific next step with a date."
        ),
    },
]

MODULES: list = [
    {
        "level": 1,
        "code": "A",
        "order": 1,
        "title": "Structure & Openings",
        "description": (
            "Earn attention in the first seconds, build everything around one clear message, and "
            "signpost so listeners always know where they are."
        ),
        "lesson_video_url": None,
        "xp_reward": 100,
        "coin_reward": 50,
        "ticket_reward": 2,
        "lessons": [
            {
                "order": 1,
                "title": "Hooks That Earn Attention",
                "xp_reward": 20,
                "steps": [
                    {"kind": "reading", "title": "Why the first 15 seconds matter", "knowledge_block": "A1"},
                    {
                        "kind": "speaking",
                        "title": "Three hooks, one topic",
                        "prompt": "Pick a change you want at work or school. Open it three ways in a row: a surprising "
                        "fact, a 'picture this' moment, and a question your listener wants answered.",
                        "target_seconds": 60,
                        "rubric": [
                            "Each hook is tied to the topic, not generic",
                            "No warm-up phrases before the hook ('So, today I'm going to...')",
                            "Each hook lasts under 20 seconds",
                        ],
                    },
                    {"kind": "feedback", "title": "Review your hooks"},
                    {
                        "kind": "reflection",
                        "title": "Choose your strongest hook",
                        "prompt": "Which of your three hooks would make a busy listener stop scrolling, and why?",
                    },
                ],
            },
            {
                "order": 2,
                "title": "Find Your One Message",
                "xp_reward": 20,
                "steps": [
                    {"kind": "reading", "title": "The throughline", "knowledge_block": "A2"},
                    {
                        "kind": "writing",
                        "title": "Write it in 15 words",
                        "prompt": "Write the one message of a talk or pitch you will give soon. Use 15 words or fewer, "
                        "include a verb, and say what the listener gains.",
                        "min_words": 6,
                        "rubric": [
                            "15 words or fewer",
                            "States a benefit to the listener",
                            "Uses concrete, everyday words",
                        ],
                    },
                    {
                        "kind": "speaking",
                        "title": "Say it, prove it, say it again",
                        "prompt": "Deliver a 60-second talk: state your message, give one example that proves it, "
                        "then restate the message in different words.",
                        "target_seconds": 60,
                        "rubric": [
                            "Message stated in the first 20 seconds",
                            "Example directly supports the message",
                            "Message restated at the end",
                        ],
                    },
                    {"kind": "feedback", "title": "Check your clarity"},
                    {
                        "kind": "reflection",
                        "title": "What did you cut?",
                        "prompt": "Name one point you wanted to include but cut because it did not serve your message.",
                    },
                ],
            },
            {
                "order": 3,
                "title": "Signpost the Journey",
                "xp_reward": 25,
                "steps": [
                    {"kind": "reading", "title": "Previews, transitions, summaries", "knowledge_block": "A3"},
                    {
                        "kind": "speaking",
                        "title": "A signposted 90 seconds",
                        "prompt": "Explain a process you know well (onboarding a colleague, brewing coffee, closing a month) "
                        "in three steps. Preview the steps, use a clear transition between each, and summarise.",
                        "target_seconds": 90,
                        "rubric": [
                            "Opens with a preview of the three steps",
                            "Audible transitions ('That's step one. Next...')",
                            "Closing summary in one sentence",
                        ],
                    },
                    {"kind": "feedback", "title": "Could a listener follow you?"},
                    {
                        "kind": "reflection",
                        "title": "Your go-to structure",
                        "prompt": "Which structure (Problem-Solution-Benefit, Past-Present-Future, What-So what-Now what) "
                        "fits the talks you give most often?",
                    },
                ],
            },
        ],
        "knowledge_blocks": [
            {
                "key": "A1",
                "title": "Hook in the First 15 Seconds",
                "summary": "Skip the warm-up and open with something relevant that creates curiosity.",
                "body": (
                    "Listeners decide fast whether a talk or call deserves their attention, so do not spend your "
                    "opening on thanks, housekeeping or 'Today I'm going to talk about...'. Start with a hook that is "
                    "tied to your message: a surprising fact, a short story that begins mid-action, a question the "
                    "audience genuinely wants answered, or a contrast between how things are and how they could be. "
                    "Unexpected openings create a curiosity gap; your talk then earns attention by closing it. Keep "
                    "the hook relevant: a joke unrelated to your point spends credibility you will need later. On a "
                    "sales call the hook is the reason for your call, framed around the buyer: 'I'm calling because "
                    "clinics your size tell us missed appointments cost them a day a week.' Quick test: if your first "
                    "sentence could open any talk, rewrite it."
                ),
                "tags": ["opening", "hooks", "attention"],
                "exercise_seeds": [
                    "Rewrite a 'Thank you for having me' opening as a surprising fact",
                    "Open a story at its most tense moment",
                    "Turn your topic into a question your listener is already asking",
                ],
                "citations": [_HEATH, _DUARTE],
            },
            {
                "key": "A2",
                "title": "One Clear Message (the Throughline)",
                "summary": "Every strong talk is built around a single idea that can be said in about 15 words.",
                "body": (
                    "A throughline is the connecting idea that every part of your talk serves. If you cannot say it "
                    "in about 15 words, your audience will not be able to repeat it either. Experts struggle here "
                    "because of the curse of knowledge: once you know a lot, it is hard to imagine not knowing it, so "
                    "you pack in everything. Instead, write your message as one sentence with a verb and a benefit "
                    "('Switching to weekly check-ins will cut our rework in half'). Then audit your material: each "
                    "story, number and slide must support that sentence or be cut. State the message early, prove it "
                    "with one or two concrete examples, and restate it at the end in fresh words. Ask yourself: if the "
                    "listener remembers only one sentence tomorrow, which one should it be?"
                ),
                "tags": ["message", "structure", "clarity"],
                "exercise_seeds": [
                    "Compress a 5-minute talk into a 15-word sentence",
                    "Cut one slide that does not serve the message",
                    "Explain your message to a 12-year-old in 30 seconds",
                ],
                "citations": [_ANDERSON, _HEATH],
            },
            {
                "key": "A3",
                "title": "Signposting and Simple Structures",
                "summary": "Listeners cannot re-read, so tell them where you are going, where you are, and where you have been.",
                "body": (
                    "Readers can flip back a page; listeners cannot. Signposting gives them a map. Use a preview "
                    "('Three things: the problem, the fix and what it costs'), clear transitions ('That's the problem. "
                    "So what does the fix look like?') and a short summary before you close. Numbered points help "
                    "working memory, and three is usually enough. Pick a simple structure that matches your goal: "
                    "Problem-Solution-Benefit for proposals and pitches, Past-Present-Future for updates and change, "
                    "What-So what-Now what for reports and findings. Contrast also carries an audience: moving between "
                    "what is and what could be keeps tension alive. Signposts can feel repetitive to you while "
                    "rehearsing; to a listener hearing the talk once, they feel like clarity."
                ),
                "tags": ["structure", "signposting", "transitions"],
                "exercise_seeds": [
                    "Add a one-sentence preview to your next update",
                    "Write three transition sentences for a three-part talk",
                    "Re-tell a meeting recap as What-So what-Now what",
                ],
                "citations": [_DUARTE, _ANDERSON],
            },
        ],
    },
    {
        "level": 1,
        "code": "B",
        "order": 2,
        "title": "Voice & Delivery",
        "description": (
            "Control your pace, replace filler words with purposeful pauses, and use vocal variety so "
            "people want to keep listening."
        ),
        "lesson_video_url": None,
        "xp_reward": 100,
        "coin_reward": 50,
        "ticket_reward": 2,
        "lessons": [
            {
                "order": 1,
                "title": "Find Your Pace",
                "xp_reward": 20,
                "steps": [
                    {"kind": "reading", "title": "130-160 words per minute", "knowledge_block": "B1"},
                    {
                        "kind": "speaking",
                        "title": "Measure your baseline",
                        "prompt": "Talk for 60 seconds about how you spent last weekend. Don't script it; SpeakPro will "
                        "count your words per minute.",
                        "target_seconds": 60,
                        "rubric": [
                            "Pace between 130 and 160 words per minute",
                            "Sentences end with a downward, finished tone",
                            "Key names and numbers spoken more slowly",
                        ],
                    },
                    {"kind": "feedback", "title": "Your words-per-minute report"},
                    {
                        "kind": "reflection",
                        "title": "Where do you speed up?",
                        "prompt": "At which moments did you rush (starting, numbers, the ending)? What will you do differently?",
                    },
                ],
            },
            {
                "order": 2,
                "title": "Pause Instead of Filling",
                "xp_reward": 25,
                "steps": [
                    {"kind": "reading", "title": "Fillers and the power of silence", "knowledge_block": "B2"},
                    {
                        "kind": "speaking",
                        "title": "Filler-free answers",
                        "prompt": "Answer out loud: 'What is one skill you want to improve this year, and why?' Before "
                        "you start and between sentences, close your mouth and pause instead of saying um or uh.",
                        "target_seconds": 60,
                        "rubric": [
                            "Fewer than 3 fillers per 100 words",
                            "At least two deliberate pauses of about one second",
                            "No filler at the very start of the answer",
                        ],
                    },
                    {
                        "kind": "writing",
                        "title": "Plan your transitions",
                        "prompt": "Fillers cluster at transitions. Write the three transition sentences you will use in "
                        "your next presentation or meeting update.",
                        "min_words": 20,
                        "rubric": ["Three distinct transitions", "Each links the previous point to the next"],
                    },
                    {"kind": "feedback", "title": "Your filler count"},
                    {
                        "kind": "reflection",
                        "title": "Your filler habit",
                        "prompt": "Which filler do you use most ('um', 'like', 'you know', 'basically'), and when does it show up?",
                    },
                ],
            },
            {
                "order": 3,
                "title": "Bring Your Voice to Life",
                "xp_reward": 25,
                "steps": [
                    {"kind": "reading", "title": "Pitch, pace, volume, pause", "knowledge_block": "B3"},
                    {
                        "kind": "speaking",
                        "title": "Shift the stress",
                        "prompt": "Say 'I didn't say we should cancel the launch' five times, stressing a different word "
                        "each time. Then deliver a 45-second product update with three stressed key words.",
                        "target_seconds": 75,
                        "rubric": [
                            "Stress changes are clearly audible",
                            "Statements end with a downward inflection, not a question",
                            "Volume and pace vary at least twice in the update",
                        ],
                    },
                    {"kind": "feedback", "title": "How varied was your voice?"},
                    {
                        "kind": "reflection",
                        "title": "Mark your script",
                        "prompt": "Which three words in your next talk deserve the most emphasis, and where will you pause?",
                    },
                ],
            },
        ],
        "knowledge_blocks": [
            {
                "key": "B1",
                "title": "Pace: 130-160 Words per Minute",
                "summary": "A conversational pace of roughly 130-160 words per minute is easy to follow; nerves push it higher.",
                "body": (
                    "Most listeners follow comfortably when you speak at roughly 130-160 words per minute, the pace "
                    "of relaxed conversation. Nerves push many speakers toward 180 or more, which sounds anxious and "
                    "makes numbers and names hard to catch. Measure rather than guess: record 60 seconds, count the "
                    "words, and repeat weekly. Pace is not one fixed speed. Slow down for your key message, figures, "
                    "names and the first sentence after a pause; speed up a little for stories and lists to add "
                    "energy. On phone and video calls, where people lose your facial cues, sit toward the slower end. "
                    "Two habits help: take a breath at each full stop, and finish sentences with a downward tone so "
                    "each one sounds complete before the next begins."
                ),
                "tags": ["voice", "pace", "delivery"],
                "exercise_seeds": [
                    "Record 60 seconds and calculate your words per minute",
                    "Read a news paragraph at 120, 150 and 180 wpm and compare",
                    "Slow down only for the numbers in a sales pitch",
                ],
                "citations": [_ANDERSON],
            },
            {
                "key": "B2",
                "title": "Pauses and Filler Words",
                "summary": "Fillers are normal but distracting in bulk; replace them with short, silent pauses.",
                "body": (
                    "Fillers such as um, uh, like, you know and basically are a normal part of speech. Research on "
                    "spontaneous speaking suggests speakers use 'uh' to signal a short delay and 'um' a longer one "
                    "while they plan what comes next. The problem is density: in a presentation or sales call, "
                    "frequent fillers make you sound unsure and bury your message. A useful target for prepared "
                    "speaking is fewer than 3 fillers per 100 words. The replacement is silence: close your mouth, "
                    "breathe, and continue. A one-second pause feels long to you but sounds confident to the listener, "
                    "and it gives them time to absorb your point. Fillers cluster at the start of answers and at "
                    "transitions, so plan your transitions and allow yourself a beat before answering a question."
                ),
                "tags": ["fillers", "pauses", "delivery"],
                "exercise_seeds": [
                    "Answer five rapid questions, pausing silently before each answer",
                    "Count your fillers per 100 words in a recorded call",
                    "Rehearse transitions until they come without 'so, um'",
                ],
                "citations": [_CLARK, _ERARD],
            },
            {
                "key": "B3",
                "title": "Vocal Variety and Emphasis",
                "summary": "Varying pitch, pace, volume and pause tells listeners what matters.",
                "body": (
                    "A flat voice signals that nothing matters more than anything else, and attention drifts. You have "
                    "four controls: pitch, pace, volume and pause. Use them to highlight meaning, not for decoration. "
                    "Stress changes meaning: 'I didn't say she took it' means something different each time you move "
                    "the emphasis. Before an important talk, mark your notes: underline the words that carry the "
                    "meaning and add a slash where you will pause. Drop your volume slightly to draw people in for a "
                    "key point; lift your energy for a call to action. End statements with a downward inflection, "
                    "because rising 'uptalk' makes claims sound like questions. On calls, stand up and smile while "
                    "speaking; both are audible in your tone."
                ),
                "tags": ["voice", "emphasis", "vocal-variety"],
                "exercise_seeds": [
                    "Say one sentence five ways by moving the stressed word",
                    "Mark stresses and pauses on a 100-word script",
                    "Deliver a call to action quietly, then with energy, and compare",
                ],
                "citations": [_ANDERSON, _DUARTE],
            },
        ],
    },
    {
        "level": 1,
        "code": "C",
        "order": 3,
        "title": "Discovery & Questioning",
        "description": (
            "Run sales conversations that uncover real needs: ask open questions, use SPIN to build value, "
            "and listen more than you talk."
        ),
        "lesson_video_url": None,
        "xp_reward": 120,
        "coin_reward": 60,
        "ticket_reward": 2,
        "lessons": [
            {
                "order": 1,
                "title": "Ask Questions That Open Doors",
                "xp_reward": 20,
                "steps": [
                    {"kind": "reading", "title": "Open versus closed questions", "knowledge_block": "C1"},
                    {
                        "kind": "writing",
                        "title": "Open them up",
                        "prompt": "Rewrite these as open questions: 'Do you have a CRM?', 'Is onboarding slow?', "
                        "'Are you happy with your supplier?'. Add one follow-up for each.",
                        "min_words": 30,
                        "rubric": [
                            "Each question starts with what, how, or 'walk me through'",
                            "Avoids 'why' phrasing that sounds accusatory",
                            "Follow-ups dig deeper instead of changing topic",
                        ],
                    },
                    {
                        "kind": "speaking",
                        "title": "The question funnel",
                        "prompt": "Role-play the first minute of a discovery call with a gym owner. Ask one broad question, "
                        "then narrow with two follow-ups based on what they might say.",
                        "target_seconds": 60,
                        "rubric": [
                            "Starts broad, then narrows",
                            "No pitching in the first minute",
                            "One question at a time, no stacked questions",
                        ],
                    },
                    {"kind": "feedback", "title": "Review your questions"},
                    {
                        "kind": "reflection",
                        "title": "Your default question",
                        "prompt": "What closed question do you ask most often, and how will you open it up?",
                    },
                ],
            },
            {
                "order": 2,
                "title": "Discovery with SPIN",
                "xp_reward": 25,
                "steps": [
                    {
                        "kind": "reading",
                        "title": "Situation, Problem, Implication, Need-payoff",
                        "knowledge_block": "C2",
                    },
                    {
                        "kind": "writing",
                        "title": "Build a SPIN sequence",
                        "prompt": "A restaurant manager says staff scheduling 'takes forever'. Write one Situation, one "
                        "Problem, two Implication and one Need-payoff question.",
                        "min_words": 40,
                        "rubric": [
                            "All four question types present and in order",
                            "Implication questions explore cost, risk or knock-on effects",
                            "Need-payoff lets the buyer state the benefit",
                        ],
                    },
                    {
                        "kind": "speaking",
                        "title": "Ask it out loud",
                        "prompt": "Deliver your SPIN sequence as if on a call, pausing after each question as though "
                        "listening to the answer.",
                        "target_seconds": 90,
                        "rubric": [
                            "Natural, conversational tone",
                            "Clear pause after each question",
                            "Implication questions sound curious, not leading",
                        ],
                    },
                    {"kind": "feedback", "title": "SPIN check"},
                    {
                        "kind": "reflection",
                        "title": "Which type do you skip?",
                        "prompt": "Which SPIN question type do you tend to skip, and what does it cost you?",
                    },
                ],
            },
            {
                "order": 3,
                "title": "Listen More Than You Talk",
                "xp_reward": 25,
                "steps": [
                    {"kind": "reading", "title": "The 43% talk-time benchmark", "knowledge_block": "C3"},
                    {
                        "kind": "speaking",
                        "title": "Mirror, label, summarise",
                        "prompt": "A prospect says: 'We tried a tool like this last year and the team just stopped using it.' "
                        "Respond with a mirror, then a label, then a one-sentence summary and a question.",
                        "target_seconds": 45,
                        "rubric": [
                            "Mirror repeats their last few words as a question",
                            "Label starts with 'It sounds like' or 'It seems like'",
                            "Ends with an open question, not a pitch",
                        ],
                    },
                    {"kind": "feedback", "title": "Your talk-to-listen ratio"},
                    {
                        "kind": "reflection",
                        "title": "What did you almost miss?",
                        "prompt": "Think of a recent conversation. What did the other person say that you only heard "
                        "because you stayed quiet a little longer?",
                    },
                ],
            },
        ],
        "knowledge_blocks": [
            {
                "key": "C1",
                "title": "Open Questions That Invite Stories",
                "summary": "Open questions get buyers talking about their world; closed questions get a yes or no.",
                "body": (
                    "Closed questions ('Do you use a CRM?') get one-word answers and make discovery feel like a form. "
                    "Open questions invite a story: 'How do you track deals today?', 'Walk me through what happens "
                    "when a new client signs.' Start with what, how, or 'tell me about'. Be careful with 'why', which "
                    "can sound like an accusation; 'What made you choose that approach?' asks the same thing more "
                    "gently. Use a funnel: begin broad, then narrow with follow-ups that build on the answer ('What "
                    "happened next?', 'How often does that happen?'). Ask one question at a time; stacked questions "
                    "let the buyer pick the easiest one. People enjoy talking about their own work and problems, and "
                    "the more they talk, the more you learn about what they actually need."
                ),
                "tags": ["discovery", "questions", "sales"],
                "exercise_seeds": [
                    "Convert five closed questions into open ones",
                    "Ask three follow-ups in a row without changing topic",
                    "Replace every 'why' in your call script",
                ],
                "citations": [_CARNEGIE, _VOSS],
            },
            {
                "key": "C2",
                "title": "SPIN: Situation, Problem, Implication, Need-payoff",
                "summary": "A research-based questioning sequence that helps buyers see the cost of a problem and the value of solving it.",
                "body": (
                    "SPIN comes from Neil Rackham's research team, which studied more than 35,000 sales calls. In "
                    "larger sales, successful sellers asked four kinds of question. Situation questions gather facts "
                    "('How many people handle scheduling?'); use few, since buyers tire of them. Problem questions "
                    "surface difficulties ('Where does scheduling break down?'). Implication questions explore "
                    "consequences ('When shifts go unfilled, what happens to service and overtime?'), turning a small "
                    "annoyance into a cost worth fixing. Need-payoff questions let the buyer describe the value "
                    "themselves ('If schedules were done in ten minutes, what would that free you up to do?'). The "
                    "research found top performers asked far more implication and need-payoff questions, and that "
                    "benefits stated by the buyer persuade more than those claimed by the seller."
                ),
                "tags": ["discovery", "spin", "sales", "questions"],
                "exercise_seeds": [
                    "Write two implication questions for a problem you solve",
                    "Turn a feature into a need-payoff question",
                    "Count situation questions in your last call and cut half",
                ],
                "citations": [_RACKHAM],
            },
            {
                "key": "C3",
                "title": "Listening and the Talk-to-Listen Ratio",
                "summary": "Top-performing reps talk for roughly 43% of a discovery call and listen for the rest.",
                "body": (
                    "Gong Labs analysed thousands of recorded sales calls and found that top performers talked for "
                    "about 43% of the call and listened for about 57%, while lower performers talked well over half "
                    "the time. Listening is an active skill. Mirror: repeat the last one to three words as a question "
                    "('Stopped using it?') and the buyer will usually elaborate. Label: name what you hear ('It sounds "
                    "like adoption is the real worry'). Summarise before moving on, so the buyer can correct you. "
                    "After an answer, wait two or three seconds; people often add the most important detail after a "
                    "pause. Keep your own monologues short and check in with a question instead of explaining for "
                    "minutes. SpeakPro measures your talk-time share in every practice session."
                ),
                "tags": ["listening", "talk-ratio", "sales", "discovery"],
                "exercise_seeds": [
                    "Use three mirrors in one practice call",
                    "Wait three seconds after every answer for one conversation",
                    "Keep every turn under 30 seconds in a discovery role-play",
                ],
                "citations": [_GONG, _VOSS],
            },
        ],
    },
    {
        "level": 1,
        "code": "D",
        "order": 4,
        "title": "Objections & Closing",
        "description": (
            "Treat objections as information, answer price pushback without caving, and close every "
            "conversation with a clear, specific next step."
        ),
        "lesson_video_url": None,
        "xp_reward": 120,
        "coin_reward": 60,
        "ticket_reward": 3,
        "lessons": [
            {
                "order": 1,
                "title": "Welcome the Objection",
                "xp_reward": 25,
                "steps": [
                    {"kind": "reading", "title": "Acknowledge, clarify, respond", "knowledge_block": "D1"},
                    {
                        "kind": "speaking",
                        "title": "'The timing isn't right'",
                        "prompt": "A prospect says: 'This looks good, but the timing isn't right for us.' Acknowledge, ask a "
                        "clarifying question, respond to the most likely real concern, and check back.",
                        "target_seconds": 60,
                        "rubric": [
                            "Acknowledges without agreeing or arguing",
                            "Clarifying question uncovers the real concern",
                            "Ends by checking whether the response helped",
                        ],
                    },
                    {
                        "kind": "writing",
                        "title": "Your objection bank",
                        "prompt": "List the three objections you hear most often and write a clarifying question for each.",
                        "min_words": 30,
                        "rubric": ["Three realistic objections", "Each question is open and non-defensive"],
                    },
                    {"kind": "feedback", "title": "How did you handle it?"},
                    {
                        "kind": "reflection",
                        "title": "Prevention",
                        "prompt": "Which of your common objections could you prevent with better discovery earlier?",
                    },
                ],
            },
            {
                "order": 2,
                "title": "Hold Your Price",
                "xp_reward": 25,
                "steps": [
                    {"kind": "reading", "title": "Handling price objections", "knowledge_block": "D2"},
                    {
                        "kind": "speaking",
                        "title": "'It's too expensive'",
                        "prompt": "You quoted 12,000 a year. The buyer says it's too expensive. Clarify the reference point, "
                        "re-anchor to the cost of the problem, and offer a trade instead of a discount.",
                        "target_seconds": 75,
                        "rubric": [
                            "Asks 'compared to what?' before defending",
                            "Refers to a cost the buyer already mentioned",
                            "Any concession is traded for something in return",
                        ],
                    },
                    {"kind": "feedback", "title": "Price conversation review"},
                    {
                        "kind": "reflection",
                        "title": "Your discount reflex",
                        "prompt": "When did you last offer a discount before you were asked? What could you have traded instead?",
                    },
                ],
            },
            {
                "order": 3,
                "title": "Ask for the Next Step",
                "xp_reward": 30,
                "steps": [
                    {"kind": "reading", "title": "Advances versus continuations", "knowledge_block": "D3"},
                    {
                        "kind": "writing",
                        "title": "Upgrade a weak close",
                        "prompt": "Rewrite 'Let me know what you think and we'll touch base' as a specific next step with "
                        "an action, an owner and a date.",
                        "min_words": 20,
                        "rubric": [
                            "Names a concrete action by the buyer",
                            "Includes a date or time",
                            "Sounds confident, not pushy",
                        ],
                    },
                    {
                        "kind": "speaking",
                        "title": "The 45-second close",
                        "prompt": "Summarise the value you discussed in one sentence, propose a specific next step, ask for "
                        "agreement, and then stop talking.",
                        "target_seconds": 45,
                        "rubric": [
                            "One-sentence value summary",
                            "A direct ask with a date",
                            "Silence after the ask, no filler",
                        ],
                    },
                    {"kind": "feedback", "title": "Close review"},
                    {
                        "kind": "reflection",
                        "title": "Advance or continuation?",
                        "prompt": "Look at your last three conversations. Did each end with an advance or a continuation?",
                    },
                ],
            },
        ],
        "knowledge_blocks": [
            {
                "key": "D1",
                "title": "Acknowledge, Clarify, Respond",
                "summary": "Treat an objection as information: acknowledge it, find the real concern, then answer that.",
                "body": (
                    "An objection is not a rejection; it tells you what still stands between the buyer and a yes. "
                    "Resist the urge to argue or to answer instantly. First acknowledge: 'That's a fair concern' or a "
                    "label such as 'It sounds like you've been burned by a rollout before.' Then clarify, because the "
                    "first objection is often not the real one: 'When you say timing, is it budget cycles or your "
                    "team's bandwidth?' Respond to the concern you uncovered with evidence, such as an example, a "
                    "number or a smaller first step. Finally check: 'Does that address it?' Rackham's research also "
                    "found that many objections are created by the seller, by describing features and advantages "
                    "before the buyer feels the need. Strong discovery prevents objections you would otherwise have "
                    "to handle."
                ),
                "tags": ["objections", "sales", "empathy"],
                "exercise_seeds": [
                    "Answer 'we already have a vendor' with the four steps",
                    "Write a label for your three most common objections",
                    "Practise a two-second pause before responding to pushback",
                ],
                "citations": [_RACKHAM, _VOSS],
            },
            {
                "key": "D2",
                "title": "Handling Price Objections",
                "summary": "Find out what the price is being compared to, re-anchor to value, and trade rather than discount.",
                "body": (
                    "'Too expensive' always means compared to something: the budget, a competitor's quote, or what the "
                    "buyer thinks the result is worth. Ask which before you defend anything: 'Compared to what you "
                    "budgeted, or to another option?' Then re-anchor to the cost of the problem the buyer described "
                    "during discovery; a 12,000 fee looks different next to 40,000 in lost overtime. The contrast "
                    "principle explains why: we judge numbers against whatever sits beside them. Avoid discounting "
                    "straight away, which signals your first price was padded. If you concede, trade: 'If we move to "
                    "annual billing, I can adjust the price.' Calibrated questions keep the buyer problem-solving with "
                    "you: 'What would need to be true for this to fit your budget?' State your price plainly, then "
                    "pause."
                ),
                "tags": ["objections", "price", "negotiation", "sales"],
                "exercise_seeds": [
                    "Ask 'compared to what?' three different ways",
                    "Prepare a cost-of-problem figure before a pricing call",
                    "Say your price out loud and hold three seconds of silence",
                ],
                "citations": [_CIALDINI, _VOSS],
            },
            {
                "key": "D3",
                "title": "Next Steps and the Confident Close",
                "summary": "End every conversation with an advance: a specific action by the buyer that moves things forward.",
                "body": (
                    "Rackham's research on larger sales describes four call outcomes: an order, an advance, a "
                    "continuation and no sale. An advance is a specific action by the customer that moves the deal "
                    "forward, such as a meeting with the budget holder, a trial or a technical review. A continuation "
                    "('Send me some information', 'Let's keep in touch') feels friendly but nothing moves. To close "
                    "confidently, summarise the value in one sentence, propose a concrete next step with a date and "
                    "an owner, ask directly, and then stop talking. Small, active commitments tend to stick because "
                    "people like to act consistently with what they have agreed to, so ask the buyer to do something, "
                    "such as booking the meeting or sharing the data, rather than only promising that you will."
                ),
                "tags": ["closing", "next-steps", "sales"],
                "exercise_seeds": [
                    "Turn three continuations into advances",
                    "Propose two specific time slots instead of 'sometime next week'",
                    "End a role-play with a buyer action, not a seller promise",
                ],
                "citations": [_RACKHAM, _CIALDINI],
            },
        ],
    },
]

# World map
DISTRICTS: list = [
    {
        "slug": "old-town",
        "name": "Old Town",
        "order": 1,
        "description": "Cobbled squares, a grand library and the town soapbox: where speakers learn to open strong and stay structured.",
        "overview_media": {
            "image": "/districts/old-town.svg",
            "alt": "Cobbled square with a clock tower, library steps and a wooden soapbox",
        },
        "map": {"x": 22, "y": 28},
        "venues": [
            {
                "slug": "town-square-soapbox",
                "name": "Town Square Soapbox",
                "description": "Passers-by give you fifteen seconds. Hook them or lose them.",
                "ticket_cost": 1,
                "xp_reward": 40,
                "coin_reward": 20,
                "unlocked_by_module": "A",
                "map": {"x": 18, "y": 24},
                "task_sheet": {
                    "title": "Stop the Crowd",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "speaking",
                            "target_seconds": 20,
                            "prompt": "Deliver a 20-second hook for a proposal to add a weekend farmers' market to the square.",
                        },
                        {
                            "order": 2,
                            "kind": "writing",
                            "min_words": 6,
                            "prompt": "Write your proposal's one message in 15 words or fewer.",
                        },
                        {
                            "order": 3,
                            "kind": "speaking",
                            "target_seconds": 60,
                            "prompt": "Give the full 60-second pitch: hook, one message, one reason, and a call to action for passers-by.",
                        },
                    ],
                },
            },
            {
                "slug": "library-lecture-hall",
                "name": "Library Lecture Hall",
                "description": "A wood-panelled hall where the audience expects a clear map of every talk.",
                "ticket_cost": 1,
                "xp_reward": 45,
                "coin_reward": 20,
                "unlocked_by_module": "A",
                "map": {"x": 27, "y": 33},
                "task_sheet": {
                    "title": "The Ten-Minute Lecture, Shrunk",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "writing",
                            "min_words": 25,
                            "prompt": "Choose a topic you know well. Write a preview sentence naming three points, plus one transition between each.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 90,
                            "prompt": "Deliver a 90-second mini-lecture using your preview, transitions and a one-sentence summary.",
                        },
                        {
                            "order": 3,
                            "kind": "speaking",
                            "target_seconds": 45,
                            "prompt": "An audience member says they got lost in the middle. Re-explain your second point in 45 seconds using What-So what-Now what.",
                        },
                    ],
                },
            },
        ],
    },
    {
        "slug": "stage-quarter",
        "name": "The Stage Quarter",
        "order": 2,
        "description": "Theatres, a riverside radio studio and a late-night café: the place to train your voice and delivery.",
        "overview_media": {
            "image": "/districts/stage-quarter.svg",
            "alt": "Theatre marquee lights beside a radio mast and a small café stage",
        },
        "map": {"x": 72, "y": 24},
        "venues": [
            {
                "slug": "open-mic-cafe",
                "name": "The Open-Mic Café",
                "description": "A friendly crowd, a single microphone and room for one good story.",
                "ticket_cost": 1,
                "xp_reward": 45,
                "coin_reward": 25,
                "unlocked_by_module": "A",
                "map": {"x": 64, "y": 18},
                "task_sheet": {
                    "title": "One Story, Well Told",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "writing",
                            "min_words": 15,
                            "prompt": "Write the first sentence of a true story about a mistake you learned from. Start in the middle of the action.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 120,
                            "prompt": "Tell the story in under two minutes: the moment, what was at stake, what you did, and the lesson in one sentence.",
                        },
                        {
                            "order": 3,
                            "kind": "speaking",
                            "target_seconds": 30,
                            "prompt": "Close the set: restate your lesson in fresh words and thank the room in under 30 seconds.",
                        },
                    ],
                },
            },
            {
                "slug": "lantern-theatre",
                "name": "Lantern Theatre",
                "description": "A 400-seat auditorium with no microphone. Your voice has to reach the back row.",
                "ticket_cost": 2,
                "xp_reward": 55,
                "coin_reward": 25,
                "unlocked_by_module": "B",
                "map": {"x": 74, "y": 22},
                "task_sheet": {
                    "title": "Reach the Back Row",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "speaking",
                            "target_seconds": 40,
                            "prompt": "Say 'We never promised this would be easy' five times, stressing a different word each time.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 60,
                            "prompt": "Deliver a 60-second opening-night welcome with at least two deliberate pauses and one quiet, draw-them-in moment.",
                        },
                        {
                            "order": 3,
                            "kind": "writing",
                            "min_words": 20,
                            "prompt": "Mark up a paragraph of your next talk: underline stressed words and add a slash where you will pause. Paste it here.",
                        },
                    ],
                },
            },
            {
                "slug": "riverside-radio-studio",
                "name": "Riverside Radio Studio",
                "description": "Audio only: no slides, no gestures. Pace and clean delivery are everything.",
                "ticket_cost": 2,
                "xp_reward": 55,
                "coin_reward": 30,
                "unlocked_by_module": "B",
                "map": {"x": 80, "y": 30},
                "task_sheet": {
                    "title": "Live on Air",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "speaking",
                            "target_seconds": 60,
                            "prompt": "Read a 60-second local news bulletin you write yourself, aiming for 140-160 words per minute.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 90,
                            "prompt": "The host asks: 'What's one thing listeners should try this week, and why?' Answer with fewer than 3 fillers per 100 words.",
                        },
                        {
                            "order": 3,
                            "kind": "speaking",
                            "target_seconds": 30,
                            "prompt": "Sign off in 30 seconds: summarise your tip, slow down for the key line, and end on a downward tone.",
                        },
                    ],
                },
            },
        ],
    },
    {
        "slug": "market-quarter",
        "name": "Market Quarter",
        "order": 3,
        "description": "Stalls, a trade-fair pavilion and a wholesale auction house, where every conversation is a chance to learn what a buyer needs.",
        "overview_media": {
            "image": "/districts/market-quarter.svg",
            "alt": "Striped market awnings, a glass pavilion and an auction house by the harbour",
        },
        "map": {"x": 28, "y": 72},
        "venues": [
            {
                "slug": "spice-market-stall",
                "name": "Spice Market Stall",
                "description": "A shopper lingers at your stall. Find out what they are cooking before you recommend anything.",
                "ticket_cost": 1,
                "xp_reward": 50,
                "coin_reward": 25,
                "unlocked_by_module": "C",
                "map": {"x": 20, "y": 68},
                "task_sheet": {
                    "title": "Ask Before You Sell",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "speaking",
                            "target_seconds": 45,
                            "prompt": "Greet the shopper and ask three open questions about what they cook and for whom. No recommendations yet.",
                        },
                        {
                            "order": 2,
                            "kind": "writing",
                            "min_words": 25,
                            "prompt": "Write down what you learned and the one product you would suggest, linked to something the shopper said.",
                        },
                        {
                            "order": 3,
                            "kind": "speaking",
                            "target_seconds": 45,
                            "prompt": "Make your recommendation using the shopper's own words, then ask one question to check it fits.",
                        },
                    ],
                },
            },
            {
                "slug": "trade-fair-pavilion",
                "name": "Trade Fair Pavilion",
                "description": "Hundreds of booths, three minutes per visitor. Qualify fast with SPIN.",
                "ticket_cost": 2,
                "xp_reward": 60,
                "coin_reward": 30,
                "unlocked_by_module": "C",
                "map": {"x": 33, "y": 77},
                "task_sheet": {
                    "title": "Three Minutes at the Booth",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "writing",
                            "min_words": 40,
                            "prompt": "A warehouse manager stops at your booth for packing software. Write one Situation, one Problem, two Implication and one Need-payoff question.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 120,
                            "prompt": "Run the three-minute booth conversation out loud, pausing after each question, and keep your own talking under half the time.",
                        },
                        {
                            "order": 3,
                            "kind": "speaking",
                            "target_seconds": 30,
                            "prompt": "Summarise the visitor's problem in their words and ask for a 20-minute follow-up call.",
                        },
                    ],
                },
            },
            {
                "slug": "wholesale-auction-house",
                "name": "Wholesale Auction House",
                "description": "Buyers here haggle for sport. Hold your price without losing the deal.",
                "ticket_cost": 2,
                "xp_reward": 65,
                "coin_reward": 35,
                "unlocked_by_module": "D",
                "map": {"x": 38, "y": 66},
                "task_sheet": {
                    "title": "Hold the Line",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "speaking",
                            "target_seconds": 30,
                            "prompt": "State your price for a bulk order of 500 units plainly, then hold three seconds of silence.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 75,
                            "prompt": "The buyer says a rival sells for 20% less. Ask what the comparison includes and re-anchor to value.",
                        },
                        {
                            "order": 3,
                            "kind": "writing",
                            "min_words": 25,
                            "prompt": "Write one 'if you..., then we...' trade you could offer instead of a straight discount.",
                        },
                    ],
                },
            },
        ],
    },
    {
        "slug": "tower-district",
        "name": "Tower District",
        "order": 4,
        "description": "Glass towers, procurement offices and boardrooms: high-stakes conversations where discovery, objections and closing decide the deal.",
        "overview_media": {
            "image": "/districts/tower-district.svg",
            "alt": "Glass office towers at dusk with lit boardroom windows",
        },
        "map": {"x": 74, "y": 70},
        "venues": [
            {
                "slug": "client-discovery-suite",
                "name": "Client Discovery Suite",
                "description": "A quiet meeting room for first calls with new clients. Listen more than you talk.",
                "ticket_cost": 2,
                "xp_reward": 60,
                "coin_reward": 30,
                "unlocked_by_module": "C",
                "map": {"x": 66, "y": 66},
                "task_sheet": {
                    "title": "The First Meeting",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "speaking",
                            "target_seconds": 45,
                            "prompt": "Open the meeting: set an agenda in one sentence and ask the client to walk you through their current process.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 90,
                            "prompt": "The client says: 'Our last vendor overpromised.' Use a mirror, a label and two follow-up questions.",
                        },
                        {
                            "order": 3,
                            "kind": "writing",
                            "min_words": 30,
                            "prompt": "Write a three-sentence recap email: their situation, the main problem and its cost, and the agreed next step.",
                        },
                    ],
                },
            },
            {
                "slug": "procurement-office",
                "name": "Procurement Office",
                "description": "A sharp procurement lead with a checklist of objections and very little time.",
                "ticket_cost": 3,
                "xp_reward": 70,
                "coin_reward": 35,
                "unlocked_by_module": "D",
                "map": {"x": 78, "y": 74},
                "task_sheet": {
                    "title": "Objection Gauntlet",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "speaking",
                            "target_seconds": 45,
                            "prompt": "Objection: 'We already have a supplier for this.' Acknowledge, clarify and respond.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 45,
                            "prompt": "Objection: 'Your implementation timeline is too long.' Ask which deadline matters and offer a phased start.",
                        },
                        {
                            "order": 3,
                            "kind": "speaking",
                            "target_seconds": 60,
                            "prompt": "Objection: 'Send me a proposal and we'll be in touch.' Turn this continuation into an advance.",
                        },
                    ],
                },
            },
            {
                "slug": "summit-boardroom",
                "name": "Summit Boardroom",
                "description": "The top floor. Five decision-makers, twenty minutes, one decision.",
                "ticket_cost": 3,
                "xp_reward": 80,
                "coin_reward": 40,
                "unlocked_by_module": "D",
                "map": {"x": 82, "y": 62},
                "task_sheet": {
                    "title": "Ask for the Decision",
                    "exercises": [
                        {
                            "order": 1,
                            "kind": "speaking",
                            "target_seconds": 60,
                            "prompt": "Open your final recommendation with a hook and your one message in a single sentence.",
                        },
                        {
                            "order": 2,
                            "kind": "speaking",
                            "target_seconds": 60,
                            "prompt": "The finance director says the price is hard to justify this year. Clarify, re-anchor to cost, and check back.",
                        },
                        {
                            "order": 3,
                            "kind": "speaking",
                            "target_seconds": 45,
                            "prompt": "Close: summarise the value, propose a start date and a named owner, ask for the decision, and stop talking.",
                        },
                    ],
                },
            },
        ],
    },
]

# Realtime role-play practice topics
TOPICS: list = [
    {
        "slug": "cold-call-opener",
        "title": "Cold Call Opener",
        "difficulty": "beginner",
        "category": "sales",
        "prompt_hint": "Give a buyer-focused reason for your call in one sentence, then ask an open question instead of pitching.",
        "partner_role": "A busy operations manager at a regional distributor who picks up but has about thirty seconds to spare.",
    },
    {
        "slug": "tell-me-about-yourself",
        "title": "Tell Me About Yourself",
        "difficulty": "beginner",
        "category": "interview",
        "prompt_hint": "Answer in under 90 seconds with present, past and future, ending on why this role fits.",
        "partner_role": "A friendly hiring manager opening a first-round interview for a customer-facing role.",
    },
    {
        "slug": "team-standup-update",
        "title": "Team Stand-up Update",
        "difficulty": "beginner",
        "category": "leadership",
        "prompt_hint": "Give status, blocker and ask in under a minute, with no filler and a clear request.",
        "partner_role": "A team lead running a quick morning stand-up who asks one or two follow-up questions.",
    },
    {
        "slug": "product-demo-opening",
        "title": "Product Demo Opening",
        "difficulty": "beginner",
        "category": "presentation",
        "prompt_hint": "Hook the room with a question about their pain, preview three parts, and answer an early question calmly.",
        "partner_role": "A small audience of team members at a client office, mildly curious and a little sceptical.",
    },
    {
        "slug": "discovery-call",
        "title": "Discovery Call",
        "difficulty": "intermediate",
        "category": "sales",
        "prompt_hint": "Use SPIN questions to uncover the cost of the problem and keep your talk time under half the call.",
        "partner_role": "An operations director at a mid-sized services firm who answers honestly but never volunteers the real cost.",
    },
    {
        "slug": "price-objection",
        "title": "Price Objection",
        "difficulty": "intermediate",
        "category": "sales",
        "prompt_hint": "Clarify what the price is compared to, re-anchor to value, and trade rather than discount.",
        "partner_role": "A finance-minded buyer who likes the solution but says the quote is well above budget.",
    },
    {
        "slug": "conference-qa",
        "title": "Conference Q&A",
        "difficulty": "intermediate",
        "category": "presentation",
        "prompt_hint": "Acknowledge tough questions, answer concisely with evidence, and bridge back to your message.",
        "partner_role": "A sharp audience member at an industry conference who challenges the data behind your talk.",
    },
    {
        "slug": "star-interview",
        "title": "Behavioural Interview (STAR)",
        "difficulty": "intermediate",
        "category": "interview",
        "prompt_hint": "Structure answers as Situation, Task, Action, Result, with a measurable result.",
        "partner_role": "An experienced interviewer who probes each answer for specifics and your personal contribution.",
    },
    {
        "slug": "feedback-conversation",
        "title": "Giving Constructive Feedback",
        "difficulty": "intermediate",
        "category": "leadership",
        "prompt_hint": "Describe specific behaviour and impact, ask questions, and agree on a concrete next step.",
        "partner_role": "A capable but slightly defensive team member receiving feedback about a recent client call.",
    },
    {
        "slug": "procurement-negotiation",
        "title": "Procurement Negotiation",
        "difficulty": "advanced",
        "category": "sales",
        "prompt_hint": "Uncover what is driving the demand, label the pressure, and trade concessions for commitments.",
        "partner_role": "A tough procurement lead who demands a steep discount and threatens to pick another shortlisted vendor.",
    },
    {
        "slug": "investor-pitch",
        "title": "Investor Pitch Under Fire",
        "difficulty": "advanced",
        "category": "presentation",
        "prompt_hint": "Deliver a two-minute pitch with one clear message, then handle rapid, sceptical questions without rambling.",
        "partner_role": "A sceptical early-stage investor who interrupts with questions on market size, traction and competition.",
    },
    {
        "slug": "delivering-bad-news",
        "title": "Delivering Bad News",
        "difficulty": "advanced",
        "category": "leadership",
        "prompt_hint": "State the news early and plainly, acknowledge the impact, and explain what happens next.",
        "partner_role": "A senior team member who is upset to learn their project has been paused and asks hard questions.",
    },
]

# Demo practice transcripts
DEMO_DIALOGUES: list = [
    {
        "topic": "cold-call-opener",
        "turns": [
            (
                "user",
                "Hi, um, is this Dana? This is Sam, I, uh, I work with distributors on, like, delivery route planning.",
            ),
            ("ai", "I've got about thirty seconds. What's this about?"),
            (
                "user",
                "Sure, um, so basically we help companies plan routes and, you know, we've been working with a lot of distributors around here and I just wanted to, uh, see if you had a few minutes to, um, hear about what we do?",
            ),
            ("ai", "We already have a routing tool. I'm not looking to switch."),
            ("user", "Okay, yeah, totally. Um, can I ask, like, how is it working for, uh, same-day orders?"),
            (
                "ai",
                "Honestly, same-day is a mess. Drivers end up re-planning on their phones. But I don't have time for a demo this week.",
            ),
            (
                "user",
                "That makes sense. Would, um, fifteen minutes next Tuesday work to look at how two other distributors handle same-day re-planning?",
            ),
            ("ai", "Send me an invite for Tuesday at ten. Keep it to fifteen minutes."),
        ],
    },
    {
        "topic": "cold-call-opener",
        "turns": [
            (
                "user",
                "Hi Dana, it's Sam. I'll be brief. I'm calling because distribution managers keep telling me same-day orders wreck their route plans. Is that something you deal with?",
            ),
            ("ai", "Sometimes. Who are you with?"),
            (
                "user",
                "I work with regional distributors on route planning. Um, before I say more, how do you handle a same-day order that comes in after the trucks have left?",
            ),
            ("ai", "The dispatcher calls the nearest driver and we hope for the best."),
            ("user", "And how often does that happen in a typical week?"),
            ("ai", "Maybe fifteen, twenty times. It's a lot of overtime."),
            (
                "user",
                "Then it might be worth twenty minutes to compare notes. Would Thursday at two or Friday at nine suit you better?",
            ),
            ("ai", "Thursday at two. Send the invite."),
        ],
    },
    {
        "topic": "discovery-call",
        "turns": [
            (
                "user",
                "Thanks for making time, Priya. To start, um, could you walk me through how your team onboards new clients today?",
            ),
            (
                "ai",
                "Sure. An account manager gets the signed contract, builds the setup in spreadsheets and emails the client a checklist.",
            ),
            ("user", "Got it. And, uh, where does that process tend to break down?"),
            ("ai", "Mostly waiting on clients. Documents come in late or incomplete, so the first invoice slips."),
            ("user", "When the first invoice slips, what does that, you know, do to cash flow or to the team?"),
            (
                "ai",
                "Finance chases us every month. Last quarter about a third of new accounts billed two or more weeks late.",
            ),
            ("user", "So if onboarding documents came in complete the first time, what would that mean for you?"),
            ("ai", "My team would stop being the bottleneck, and finance would stop chasing me."),
            (
                "user",
                "It sounds like the real cost isn't the spreadsheets, it's the delay to the first invoice. Is that fair?",
            ),
            ("ai", "That's exactly it."),
        ],
    },
    {
        "topic": "price-objection",
        "turns": [
            (
                "user",
                "So, um, based on what we discussed, the annual plan for your forty seats comes to eighteen thousand.",
            ),
            ("ai", "That's well above what we budgeted. Honestly, it's too expensive."),
            (
                "user",
                "I hear you, uh, that's a real number. When you say too expensive, is that compared to your budget, or to another option you're looking at?",
            ),
            ("ai", "Both. Another vendor quoted us around twelve."),
            ("user", "Okay. Um, does their quote include onboarding and the integration with your billing system?"),
            ("ai", "I'd have to check. I think integration was extra."),
            (
                "user",
                "Worth checking. Earlier you said late invoices cost you, like, two weeks of cash on a third of new accounts. If we fix that, how does eighteen compare?",
            ),
            ("ai", "Put that way it's more reasonable, but I still need to get it past my CFO."),
            (
                "user",
                "Makes sense. Would it help if we, uh, built that cost comparison together before you meet with her?",
            ),
            ("ai", "Yes. Let's do that on Wednesday."),
        ],
    },
    {
        "topic": "tell-me-about-yourself",
        "turns": [
            ("ai", "Thanks for coming in. Let's start simple: tell me about yourself."),
            (
                "user",
                "Sure, um, so, basically I, uh, studied business and then I, like, worked in retail for a few years, and, you know, I was a shift lead, and then I kind of moved into customer support, um, which I've been doing for about two years now.",
            ),
            ("ai", "What made you move from retail into support?"),
            (
                "user",
                "Um, I think, like, I really liked solving problems for people, and, uh, in support I get to, you know, do that all day. And I got better at, like, staying calm with upset customers.",
            ),
            ("ai", "Can you give me an example of that?"),
            (
                "user",
                "Yeah, um, last month a customer was, like, really angry about a double charge, and I, uh, refunded it, and then I followed up the next day, and basically he ended up leaving a five-star review.",
            ),
            ("ai", "Nice. And why this role?"),
            (
                "user",
                "Um, because I want to, like, move toward account management, and this role is, you know, a step in that direction, I think?",
            ),
        ],
    },
    {
        "topic": "team-standup-update",
        "turns": [
            ("user", "Morning, everyone. Quick update on the checkout redesign: we're on track for Friday."),
            ("ai", "Good. Anything blocking you?"),
            (
                "user",
                "One thing. Um, the payments team hasn't confirmed the new error codes, and without them we can't finish the failure screens.",
            ),
            ("ai", "Have you chased them?"),
            (
                "user",
                "Twice by message. I'll walk over after this. Can you raise it in the leads' sync if it's not resolved by noon?",
            ),
            ("ai", "Will do. What's the risk if it slips?"),
            (
                "user",
                "We'd ship Friday with generic error messages and add the specific ones on Monday. Low risk, a slightly worse experience for one weekend.",
            ),
            ("ai", "Clear. Thanks."),
        ],
    },
    {
        "topic": "product-demo-opening",
        "turns": [
            (
                "user",
                "Hi everyone, um, thanks for being here. So, uh, quick question before I start: how many of you rebuilt a report by hand last week?",
            ),
            ("ai", "A few of us. Most of us, honestly."),
            (
                "user",
                "Right. So, um, that's basically what today is about. In the next ten minutes I'll show you three things: connecting your data, building a report once, and, uh, scheduling it so you never rebuild it.",
            ),
            ("ai", "Will this work with our existing spreadsheets? We're not ready to move everything."),
            (
                "user",
                "Good question. Yes, you can, like, keep your spreadsheets and connect them directly. I'll show that in the first part.",
            ),
            ("ai", "Okay. And how long does setup take?"),
            (
                "user",
                "For a team your size, usually, um, an afternoon. Let's start there and you can judge for yourself.",
            ),
            ("ai", "Go ahead."),
        ],
    },
    {
        "topic": "conference-qa",
        "turns": [
            (
                "ai",
                "Interesting talk, but your data comes from only six pilot sites. Why should we believe it generalises?",
            ),
            (
                "user",
                "That's a fair challenge. Um, you're right that six sites is a small sample. What I can say is they span three regions and include both urban and rural clinics.",
            ),
            ("ai", "Still, six is six. Did any sites get worse?"),
            (
                "user",
                "One did. Uh, the rural site saw wait times rise in the first month, mostly because of staff training. By month three it had recovered.",
            ),
            ("ai", "So you're asking us to invest based on a dip and a recovery?"),
            (
                "user",
                "I'm asking for a bigger pilot, not a full rollout. If we run twenty sites for a quarter, we'll know. Would that address your concern?",
            ),
            ("ai", "It would, if the pilot has clear stop criteria."),
            ("user", "Agreed. I'll share draft criteria with the committee by Friday."),
        ],
    },
    {
        "topic": "star-interview",
        "turns": [
            ("ai", "Tell me about a time you disagreed with your manager."),
            (
                "user",
                "Sure. Last spring, um, my manager wanted to launch a promotion right before a holiday weekend. I didn't think our support team was staffed for it.",
            ),
            ("ai", "What did you do?"),
            (
                "user",
                "I pulled ticket volumes from the last two promotions. They'd, uh, roughly doubled on day one, so I showed her we'd be looking at about a six-hour reply time.",
            ),
            ("ai", "How did she respond?"),
            (
                "user",
                "She was, you know, sceptical at first, so I proposed launching on the Tuesday instead, when we'd have full staff.",
            ),
            ("ai", "And the result?"),
            (
                "user",
                "We launched Tuesday, reply times stayed under two hours, and, um, the promotion hit its target. She now asks for a support forecast before every launch.",
            ),
        ],
    },
    {
        "topic": "feedback-conversation",
        "turns": [
            ("user", "Hey Jordan, got ten minutes? I want to talk about yesterday's client call."),
            ("ai", "Sure... is something wrong?"),
            (
                "user",
                "Nothing dramatic. Um, when the client asked about the timeline, you said 'probably two weeks' before checking with engineering. The client has now, like, put that date in their plan.",
            ),
            ("ai", "I was just trying to keep them happy. They were pushing hard."),
            (
                "user",
                "I get that, and you kept the call friendly, which matters. What do you think happens if we miss two weeks?",
            ),
            ("ai", "They'd be annoyed. I guess it would look like we don't know our own schedule."),
            ("user", "Exactly. Next time, what could you say when you don't have the answer yet?"),
            ("ai", "Something like, 'Let me confirm with engineering and come back to you by tomorrow.'"),
            ("user", "That's perfect. Want to send them a quick correction today? I'm happy to review it."),
            ("ai", "Yes, I'll draft it this afternoon."),
        ],
    },
    {
        "topic": "procurement-negotiation",
        "turns": [
            (
                "ai",
                "We've reviewed your proposal. We need fifteen percent off, or we go with the other shortlisted vendor.",
            ),
            (
                "user",
                "I appreciate you being direct. Before we talk numbers, help me understand what's driving the fifteen percent.",
            ),
            ("ai", "Our budget for this category was cut. That's the number I have to hit."),
            ("user", "It sounds like you're under pressure from above on this, not just shopping around."),
            ("ai", "That's right. I still need a lower number."),
            (
                "user",
                "Here's one option: if we move to a three-year term with annual billing up front, I can get to ten percent. Uh, would a longer commitment work for your finance team?",
            ),
            ("ai", "Three years is a stretch. Two, maybe."),
            (
                "user",
                "For two years I could do eight percent and include the onboarding package at no charge. How does that land against your target?",
            ),
            ("ai", "Closer. Put it in writing and I'll take it to the budget holder on Thursday."),
            (
                "user",
                "You'll have it by end of day. Could we get fifteen minutes with the budget holder on Thursday, in case questions come up?",
            ),
        ],
    },
]

# Daily quests
QUEST_TYPES: list = [
    {"type": "practice_session", "title": "Finish a practice session", "target": 1, "xp": 20, "coins": 10},
    {"type": "lesson_step", "title": "Complete 3 lesson steps", "target": 3, "xp": 25, "coins": 10},
    {
        "type": "filler_free",
        "title": "Speak with under 3 fillers per 100 words in a session",
        "target": 1,
        "xp": 30,
        "coins": 15,
    },
    {"type": "venue_visit", "title": "Visit a venue on the map", "target": 1, "xp": 25, "coins": 15},
]
