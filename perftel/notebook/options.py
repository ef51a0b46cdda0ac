"""The date range (with quick ranges; end ≥ start said next to the end field) and the run options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import ipywidgets as w

from perftel.config import DEVICES, whisper_model_names
from perftel.dates import ZoneLike, to_day
from perftel.dates import today as local_today
from perftel.errors import ConfigError
from perftel.languages import canonical_language, describe_languages
from perftel.notebook.common import STYLE, WIDGET, field_error

if TYPE_CHECKING:
    from perftel.whisper_settings import WhisperSettings

QUICK_RANGES = ("Today", "Last 7 days", "Last 30 days", "This month")
MODEL_CHOICES = ("tiny.en", "base", *[m for m in whisper_model_names() if m not in ("tiny.en", "base")])


#: A time zone, or a function giving one when asked (the company's, which a form may learn later).
TimezoneSource = ZoneLike | Callable[[], ZoneLike]


def quick_range(
    name: str, today: date | None = None, *, tz: ZoneLike = None, now: datetime | None = None
) -> tuple[date, date]:
    """``(start, end)`` of a quick range: Today, Last 7 days, Last 30 days, This month (end = today).

    Days are the company's local days: ``today`` when given, else the date in ``tz`` (an IANA name or
    tzinfo; None: ``PERFTEL_TIMEZONE``, else UTC) at ``now`` (an aware instant; default the current
    time) — at 22:00 in São Paulo it is still that day there, though already the next one in UTC
    (:func:`perftel.dates.today`). Raises ValueError for an unknown ``name``, ConfigError for a bad ``tz``.
    """
    today = today or local_today(tz, now=now)
    starts = {
        "Today": today,
        "Last 7 days": today - timedelta(days=6),
        "Last 30 days": today - timedelta(days=29),
        "This month": today.replace(day=1),
    }
    if name not in starts:
        raise ValueError(f"Unknown range {name!r}; use one of {', '.join(QUICK_RANGES)}.")
    return starts[name], today


def _as_date(value: date | str | None) -> date | None:
    return None if value is None else to_day(value, field="date")


class DateRange:
    """Start/end pickers with quick ranges; the error for a bad range shows next to the end field.

    Quick ranges (and the default, the last 7 days) end on today in ``tz``: the company's time zone, or a
    function returning it (asked at each click, so a form can follow the company field); None uses
    ``PERFTEL_TIMEZONE``, else UTC. ``clock`` gives the current aware instant (tests pass a fixed one).
    """

    def __init__(
        self,
        start: date | str | None = None,
        end: date | str | None = None,
        *,
        tz: TimezoneSource = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.tz, self.clock = tz, clock
        default_start, default_end = (None, None) if start and end else self.quick_dates("Last 7 days")
        self.start = w.DatePicker(
            value=_as_date(start) or default_start,
            description="From",
            style=STYLE,
            layout=w.Layout(width="340px"),
        )
        self.end = w.DatePicker(
            value=_as_date(end) or default_end,
            description="To (included)",
            style=STYLE,
            layout=w.Layout(width="340px"),
        )
        self.error = w.HTML()
        self.quick = [w.Button(description=name, layout=w.Layout(width="auto")) for name in QUICK_RANGES]
        for button in self.quick:
            button.on_click(lambda b: self.set_quick(b.description))
        for picker in (self.start, self.end):
            picker.observe(lambda _: self.validate(), names="value")
        self.widget = w.VBox([w.HBox([self.start, w.HBox(self.quick)]), w.HBox([self.end, self.error])])
        self.validate()

    def set(self, start: date | str | None, end: date | str | None) -> None:
        """Show ``start``/``end`` (dates, ``"YYYY-MM-DD"`` text or None) in the pickers.

        Raises ConfigError for a bad date.
        """
        self.start.value, self.end.value = _as_date(start), _as_date(end)

    def quick_dates(self, name: str) -> tuple[date, date]:
        """``(start, end)`` of one of :data:`QUICK_RANGES` in this picker's time zone, now (:func:`quick_range`)."""
        tz = self.tz() if callable(self.tz) else self.tz
        return quick_range(name, tz=tz, now=self.clock() if self.clock else None)

    def set_quick(self, name: str) -> None:
        """Show one of :data:`QUICK_RANGES` (ValueError for another name)."""
        self.set(*self.quick_dates(name))

    def validate(self) -> str:
        """The problem with the range ("" when fine), also shown next to the end field."""
        start, end = self.start.value, self.end.value
        if start is None:
            message = "Pick a start date."
        elif end is None:
            message = "Pick an end date."
        elif end < start:
            message = f"The end is before the start ({start:%Y-%m-%d}): pick an end on or after it."
        else:
            message = ""
        self.error.value = field_error(message)
        return message


class RunOptions:
    """Answered only, model size, device, language.

    The model and device menus start from ``whisper`` (default
    :meth:`~perftel.whisper_settings.WhisperSettings.from_env`); :meth:`whisper_settings` is those settings
    with the menus' choices. The language field takes any spelling :mod:`perftel.languages` reads
    (``pt-BR``, ``Portuguese``, ``en,pt``); beside it, what it will mean ("Portuguese (pt)") or why it is
    not valid.
    """

    def __init__(
        self, *, whisper: WhisperSettings | None = None, language: str = "", answered_only: bool = False
    ) -> None:
        from perftel.whisper_settings import WhisperSettings

        self.whisper = whisper if whisper is not None else WhisperSettings.from_env()
        model, device = self.whisper.model, self.whisper.device
        models = MODEL_CHOICES if model in MODEL_CHOICES else (model, *MODEL_CHOICES)
        self.answered_only = w.Checkbox(
            value=answered_only,
            description="Answered calls only",
            indent=False,
            layout=w.Layout(width="200px", margin="0 0 0 20px"),
        )
        self.model = w.Dropdown(options=models, value=model, description="Whisper model", style=STYLE)
        self.device = w.Dropdown(options=DEVICES, value=device, description="Device", style=STYLE)
        self.language = w.Combobox(
            value=language or "",
            options=["pt-BR", "en", "es", "pt-BR,en", "pt,en,es"],
            style=STYLE,
            description="Language",
            placeholder="empty: detect per call",
            layout=WIDGET,
        )
        self.language_note = w.HTML()
        self.language.observe(lambda _: self.validate(), names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.model, self.device]),
                w.HBox([self.language, self.answered_only]),
                self.language_note,
            ]
        )
        self.validate()

    def validate(self) -> str:
        """The problem with the options ("" when fine); a bad language is explained beside its field."""
        try:
            meaning = describe_languages(self.language.value)
        except ConfigError as exc:
            message = str(exc)
            self.language_note.value = field_error(message)
            return message
        self.language_note.value = f"<span style='color:#555'>Language: {meaning}</span>"
        return ""

    def whisper_settings(self) -> WhisperSettings:
        """The run's Whisper settings: ``whisper`` with the chosen model and device. Raises ConfigError
        naming a bad value and the valid choices."""
        return replace(self.whisper, model=self.model.value, device=self.device.value)

    @property
    def language_code(self) -> str | None:
        """The language as Whisper code(s) (``"pt"``, ``"pt,en"``) or None to detect. Raises ConfigError."""
        return canonical_language(self.language.value)
