"""The command line's progress display, driven with a fake clock: per-stage times, units, stopped runs."""

from __future__ import annotations

import io

from perftel.console import PlainStages, StageDisplay, TerminalBars, stage_display, track


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_give_each_stage_its_own_time_and_unit():
    clock, out = FakeClock(), io.StringIO()
    display = PlainStages(out, clock=clock)
    display("login", 0, 1)
    display("login", 1, 1)
    display("fetch", 0, None)
    clock.now += 4.6
    display("fetch", 33, None)
    display("fetch", 33, 33)
    display("download", 0, 19)
    clock.now += 12.04
    for n in range(1, 20):
        display("download", n, 19)
    display("transcribe", 0, 19)
    clock.now += 3
    display("transcribe", 7, 19)  # then cancelled
    display.close()
    assert out.getvalue().splitlines() == [
        "listing calls: 33 calls in 4.6 s",
        "downloading: 19/19 recordings in 12.0 s",
        "transcribing: 7/19 recordings in 3.0 s (stopped)",
    ]


def test_a_stage_ends_when_the_next_starts_and_an_empty_stage_still_says_so():
    clock, out = FakeClock(), io.StringIO()
    display = PlainStages(out, clock=clock)
    display("fetch", 0, None)
    clock.now += 1
    display("fetch", 2, None)  # a failed listing never says (n, n)
    display("download", 0, 0)
    display.close()
    display.close()  # idempotent
    assert out.getvalue().splitlines() == [
        "listing calls: 2 calls in 1.0 s",
        "downloading: 0/0 recordings in 0.0 s",
    ]


def test_track_reports_files_and_closes_when_the_loop_stops_early():
    clock, out = FakeClock(), io.StringIO()
    seen = []
    for item in track(
        ["a.wav", "b.amr", "c.wav"],
        PlainStages(out, units={"transcribe": "files"}, clock=clock),
        "transcribe",
    ):
        seen.append(item)
        clock.now += 0.5
        if item == "b.amr":
            break
    assert seen == ["a.wav", "b.amr"]
    assert out.getvalue() == "transcribing: 1/3 files in 1.0 s (stopped)\n"


def test_the_display_follows_where_the_output_goes():
    assert type(stage_display(stream=io.StringIO())) is PlainStages
    assert type(stage_display(stream=Terminal())) is TerminalBars
    quiet = stage_display(quiet=True, stream=Terminal())
    assert type(quiet) is StageDisplay
    quiet("fetch", 3, 3)
    quiet.close()


def test_terminal_bars_close_each_stage_as_it_ends():
    screen = Terminal()
    display = stage_display(stream=screen)
    display("fetch", 0, None)
    display("fetch", 5, None)
    display("download", 0, 4)
    fetch_bar = display._stages["fetch"].bar
    assert fetch_bar.disable  # closed: its elapsed time stops with the stage
    display("download", 2, 4)
    display.close()
    text = screen.getvalue()
    assert "listing calls" in text and "5 calls [" in text and "2/4 recordings [" in text
    assert "items" not in text and "s/" not in text and "(stopped)" in text
