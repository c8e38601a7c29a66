from decimal import Decimal

import pytest

from kg.ingest.values import find_sdgs, parse_budget, parse_time_frame


@pytest.mark.parametrize(
    ("text", "start", "start_precision", "end", "end_precision"),
    [
        ("1 July 2016 – 31 December 2019", "2016-07-01", "day", "2019-12-31", "day"),
        ("December 2021-November 2022", "2021-12-01", "month", "2022-11-30", "month"),
        ("April 2018 - 31 December 2021", "2018-04-01", "month", "2021-12-31", "day"),
        ("2013-2014", "2013-01-01", "year", "2014-12-31", "year"),
        ("February 2016 - February 2020", "2016-02-01", "month", "2020-02-29", "month"),
    ],
)
def test_time_frames_keep_their_precision(text, start, start_precision, end, end_precision):
    tf = parse_time_frame(text)
    assert (tf.start.first(), tf.start.precision) == (start, start_precision)
    assert (tf.end.last(), tf.end.precision) == (end, end_precision)


def test_open_ended_time_frame():
    tf = parse_time_frame("from 2006")
    assert tf.start.first() == "2006-01-01" and tf.end is None


@pytest.mark.parametrize("text", ["Someday 2015 - 2016", "July 2013", "31 February 2014 - 2015", ""])
def test_unreadable_time_frames_say_what_was_expected(text):
    with pytest.raises(ValueError, match="time frame|date|month|day"):
        parse_time_frame(text)


@pytest.mark.parametrize(
    ("text", "amount", "basis"),
    [
        ("US$ 592,000", Decimal(592000), "total"),
        ("$3,056,613", Decimal(3056613), "total"),
        ("US$3,518,594.00", Decimal(3518594), "total"),
        ("US\\$ 800,000 / year (MINTIC)", Decimal(800000), "annual"),
        ("1.5 million USD / year", Decimal(1500000), "annual"),
    ],
)
def test_budgets(text, amount, basis):
    b = parse_budget(text)
    assert (b.amount, b.currency, b.basis) == (amount, "USD", basis)


def test_empty_budget_is_unknown_not_zero():
    assert parse_budget("").amount is None
    assert parse_budget("   ").amount is None


def test_unreadable_budget_is_an_error():
    with pytest.raises(ValueError, match="budget"):
        parse_budget("to be confirmed")


def test_sdgs_named_explicitly():
    assert find_sdgs("governance, capacity development, SDG 7, 9, 10, 11, 16, 17") == [
        "7", "9", "10", "11", "16", "17"]
    assert find_sdgs("The objective of the SDG 16 Conference") == ["16"]
    assert find_sdgs("in support of selected SDGs and Targets") == []
    assert find_sdgs("SDG 16.6 and SDG 5") == ["16.6", "5"]
