"""The matcher: word boundaries, allowed phrases, tiers and the most specific term."""

from __future__ import annotations

from safeharbor.safety.interventions.matcher import Matcher, Term, patterns_of

CRISIS = "crisis"
TOPIC = "topic"


def matcher(*terms: tuple[str, str, str], allow: tuple[str, ...] = ()) -> Matcher:
    return Matcher([Term(phrase, tier, topic) for phrase, tier, topic in terms], allow)


def test_a_term_matches_only_whole_words() -> None:
    m = matcher(("rapist", TOPIC, "domestic-violence"))
    assert m.check("my therapist is great").level == "none"
    assert m.check("the rapists were sentenced").level == "none"
    assert m.check("a rapist lives nearby").level == "banner"


def test_spaced_out_letters_match_a_multi_word_term() -> None:
    m = matcher(("kill myself", CRISIS, "suicide-crisis"))
    assert m.check("k i l l  m y s e l f").level == "interstitial"
    assert m.check("kill m y s e l f").level == "interstitial"
    assert m.check("#killmyself").level == "interstitial"


def test_a_long_joined_variant_matches_inside_a_hashtag_but_a_short_one_does_not() -> None:
    m = matcher(("kill myself", CRISIS, "suicide-crisis"), ("pro ana", TOPIC, "eating-disorders"))
    assert m.check("#gonnakillmyself").level == "interstitial"
    assert m.check("#proana").level == "banner"
    assert m.check("#reproana").level == "none"  # "proana" is too short to match inside a word


def test_an_allowed_phrase_silences_the_term_it_contains() -> None:
    m = matcher(("suicide", CRISIS, "suicide-crisis"), allow=("suicide squad",))
    assert m.check("Suicide Squad tonight").level == "none"
    assert m.check("suicide").level == "interstitial"
    assert m.check("suicide squad tonight, then suicide").level == "interstitial"


def test_an_allowed_phrase_silences_a_term_whose_end_it_covers() -> None:
    m = matcher(("quiero matarme", CRISIS, "suicide-crisis"), allow=("matarme a estudiar",))
    assert m.check("quiero matarme a estudiar").level == "none"
    assert m.check("quiero matarme").level == "interstitial"


def test_an_allowed_phrase_does_not_silence_a_longer_term() -> None:
    m = matcher(
        ("cut myself", TOPIC, "self-harm"),
        ("cut myself on purpose", CRISIS, "self-harm"),
        allow=("cut myself on",),
    )
    assert m.check("I cut myself on a can").level == "none"
    assert m.check("I cut myself on purpose").level == "interstitial"


def test_crisis_beats_topic_and_both_topics_are_reported_crisis_first() -> None:
    m = matcher(("pro ana", TOPIC, "eating-disorders"), ("want to die", CRISIS, "suicide-crisis"))
    verdict = m.check("pro ana and i want to die")
    assert verdict.level == "interstitial"
    assert verdict.topics == ["suicide-crisis", "eating-disorders"]
    assert m.check("pro ana").level == "banner"


def test_the_most_specific_term_decides() -> None:
    m = matcher(
        ("suicide", CRISIS, "suicide-crisis"), ("suicide prevention", TOPIC, "suicide-crisis")
    )
    assert m.check("suicide prevention week").level == "banner"
    assert m.check("suicide prevention week and suicide").level == "interstitial"


def test_terms_in_scripts_without_spaces_match_inside_text() -> None:
    m = matcher(("自殺", CRISIS, "suicide-crisis"))
    assert m.check("我想自殺了").level == "interstitial"


def test_an_empty_list_matches_nothing() -> None:
    assert matcher().check("kill myself").level == "none"


def test_a_phrase_of_only_symbols_has_no_pattern() -> None:
    assert patterns_of("!!! ???") == []
