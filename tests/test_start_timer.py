"""The guided session's timer: monotonic deadlines, pauses, skips, a sleeping computer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rollminder.env import Monotonic
from rollminder.term.screen import clock
from rollminder.term.timer import Timer


def test_steps_follow_on_from_their_deadlines_not_from_the_tick() -> None:
    timer = Timer([10, 10, 10], now=100.0, max_gap=60)
    assert timer.tick(105.0) == []
    assert timer.tick(113.7) == [1]  # a late tick ...
    assert timer.deadline == 120.0  # ... does not move the next deadline
    assert timer.remaining(113.7) == pytest.approx(6.3)
    assert timer.tick(125.0) == [2]
    assert timer.tick(130.0) == [] and timer.finished


def test_a_late_tick_starts_every_step_it_passed_in_order() -> None:
    timer = Timer([1, 1, 1, 1], now=0.0, max_gap=10)
    assert timer.tick(3.5) == [1, 2, 3]
    assert timer.tick(4.0) == [] and timer.finished
    assert timer.rolled(4.0) == 4.0


def test_a_pause_moves_the_deadline_by_exactly_its_length() -> None:
    timer = Timer([10, 10], now=0.0, max_gap=60)
    assert timer.toggle(3.0) is True
    assert timer.remaining(8.0) == 7.0  # frozen while paused
    assert timer.tick(8.0) == []
    assert timer.toggle(9.0) is False
    assert timer.deadline == 16.0
    assert timer.rolled(12.0) == 6.0  # 3 before the pause, 3 after
    assert timer.tick(16.0) == [1]
    assert timer.rolled(26.0) == 20.0 and timer.tick(26.0) == [] and timer.finished


def test_skip_counts_what_was_rolled_and_keeps_a_pause() -> None:
    timer = Timer([10, 10, 10], now=0.0)
    assert timer.skip(4.0) == 1
    assert timer.rolled_by_step[0] == 4.0 and timer.deadline == 14.0
    timer.toggle(5.0)
    assert timer.skip(6.0) == 2
    assert timer.paused and timer.remaining(50.0) == 10.0  # the next step waits, paused
    assert timer.rolled(50.0) == 5.0
    assert timer.skip(51.0) is None and timer.finished


def test_a_long_gap_between_ticks_pauses_where_it_left_off() -> None:
    timer = Timer([30, 30], now=0.0, max_gap=5.0)
    timer.tick(1.0)
    timer.tick(12.0)  # 11 s without a tick: the laptop slept
    assert timer.paused and timer.suspended
    assert timer.remaining(500.0) == 29.0  # where it was at the last tick
    assert timer.index == 0 and timer.rolled(500.0) == 1.0
    timer.toggle(600.0)
    assert not timer.paused and timer.remaining(600.0) == 29.0


def test_stop_part_way() -> None:
    timer = Timer([10, 10], now=0.0, max_gap=60)
    timer.tick(12.5)
    assert timer.stop(12.5) == 12.5
    assert timer.rolled_by_step == [10.0, 2.5] and timer.finished


@given(
    st.lists(st.integers(1, 60), min_size=1, max_size=20),
    st.lists(st.tuples(st.floats(0.01, 20), st.sampled_from("tpn")), max_size=40),
)
def test_rolled_time_is_never_more_than_the_time_running(
    durations: list[int], events: list[tuple[float, str]]
) -> None:
    timer = Timer(durations, now=0.0, max_gap=1e9)
    now = 0.0
    running = 0.0
    for step, what in events:
        if not timer.paused and not timer.finished:
            running += step
        now += step
        if what == "t":
            timer.tick(now)
        elif what == "p":
            timer.toggle(now)
        else:
            timer.skip(now)
        assert 0 <= timer.rolled(now) <= min(running, sum(durations)) + 1e-6
        assert (
            timer.rolled(now)
            == pytest.approx(sum(timer.rolled_by_step[: timer.index]) + timer.step_elapsed(now))
            or timer.finished
        )


def test_the_countdown_shows_a_second_until_it_is_over() -> None:
    assert [clock(s) for s in (0, 0.2, 1.0, 59.5, 60, 61)] == [
        "0:00",
        "0:01",
        "0:01",
        "1:00",
        "1:00",
        "1:01",
    ]


def test_a_fast_monotonic_clock() -> None:
    fast = Monotonic(10.0)
    a = fast()
    assert fast.real(5.0) == 0.5
    assert fast() >= a


def test_a_stop_pauses_where_it_happened() -> None:
    timer = Timer([10, 10], now=0.0, max_gap=5.0)
    timer.tick(3.0)
    timer.suspend(3.2)  # Ctrl-Z at 3.2; the shell continues the process at 4.0
    assert timer.tick(4.0) == [] and timer.paused and timer.suspended
    assert timer.remaining(4.0) == pytest.approx(6.8)
    timer.toggle(9.0)
    assert timer.remaining(9.0) == pytest.approx(6.8) and timer.rolled(9.0) == pytest.approx(3.2)
    assert timer.toggle(9.5) is True  # paused by the person at 9.5
    timer.suspend(12.0)  # already paused: nothing changes
    assert timer.remaining(20.0) == pytest.approx(6.3) and not timer.suspended
