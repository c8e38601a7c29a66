"""kg.quality.dates: dates with a month, read against the record's time frame in the same source."""

from datetime import date

from kg.quality.dates import DatedText, find_dates_outside


def text(body: str, name: str = "key accomplishments", event: bool = False, end: date | None = date(2016, 12, 31)):
    return DatedText("r", "f", name, body, 3, date(2014, 6, 1), end, event)


def written(found) -> list[tuple[str, bool]]:
    return [(d.written, d.before) for d in found]


def test_an_accomplishment_before_the_start_is_found_with_its_days():
    found = find_dates_outside([text("A first study tour at the end of January 2014; workshops on 18-19 May 2015.")])
    assert written(found) == [("January 2014", True)]
    assert (found[0].first, found[0].last, found[0].line) == (date(2014, 1, 1), date(2014, 1, 31), 3)


def test_only_fields_of_work_done_and_events_are_read():
    assert find_dates_outside([text("Resolution 65/141 of 20 December 2010.", name="objective")]) == []
    assert written(find_dates_outside([text("20 December 2010", name="outputs")])) == [("20 December 2010", True)]


def test_an_events_programme_takes_the_year_of_its_dates_and_counts_both_sides():
    event = [text("23 Apr. Plenary Session 24 Apr. 6 Workshops 26 June Closing 2 July Visit", event=True,
                  end=date(2014, 6, 26))]  # fmt: skip
    assert written(find_dates_outside(event)) == [("23 Apr", True), ("24 Apr", True), ("2 July", False)]


def test_a_month_name_alone_or_an_impossible_day_is_no_date():
    assert find_dates_outside([text("They may meet in May. On 31 Feb 2013 nothing.", event=True)]) == []


def test_an_end_given_in_running_text_is_checked_against_the_time_frame():
    from kg.quality.dates import find_contradicting_ends

    signed = "The Project has been signed in September 2013 until December 2013. The annual budget is 1.5 million."
    [end] = find_contradicting_ends([text(signed, name="main expectations", end=date(2015, 11, 30))])
    assert end.written == "until December 2013"
    assert find_contradicting_ends([text(signed, name="main expectations", end=date(2013, 12, 31))]) == []
    assert find_contradicting_ends([text("extended until December 2019", name="comment")]) == []
