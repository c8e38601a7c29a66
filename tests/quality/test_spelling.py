"""kg.quality.spelling: dictionary + domain word list, words of running text only."""

from kg.quality.spelling import DOMAIN_WORDS, find_misspellings, lexicon, read_word_list, words_to_check

TEXT = "The project aims at optiminizing the goverment's programme of work in the centre of Dhaka (see www.unpan.org/tabid)."


def test_words_checked_are_lower_case_running_text():
    words = list(words_to_check(TEXT + " Annex viii, e-government, info@un.org, shouldn't"))
    assert "optiminizing" in words and "programme" in words
    assert not {"Dhaka", "tabid", "unpan", "viii", "government", "shouldn", "info"} & set(words)


def test_misspellings_with_suggestions_and_british_spellings_accepted():
    found = find_misspellings([("r", "g", "f", TEXT, 7)])
    assert {(m.word, m.suggestion, m.line) for m in found} == {("optiminizing", "optimizing", 7)}
    assert "programme" in read_word_list(DOMAIN_WORDS) and lexicon().knows("programme")


def test_short_fields_are_not_running_text():
    assert find_misspellings([("r", "g", "f", "Goverment of Nepal", 1)]) == []
