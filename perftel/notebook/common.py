"""Small pieces the notebook widgets share: masked secrets, field and status messages, safe callbacks."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

import ipywidgets as w

from perftel.http.redact import redact_text

log = logging.getLogger("perftel.notebook")

ROW = w.Layout(width="100%")
WIDGET = w.Layout(width="460px")
STYLE = {"description_width": "190px"}


class Secret:
    """A secret value that never shows itself in a repr, str or notebook output."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: only where the value is used (a request, the store), never to show it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('••••••')"

    __str__ = __repr__


def field_error(message: str) -> str:
    """An HTML warning line (red, escaped) for a form field; "" when ``message`` is empty."""
    return f"<span style='color:#b00020'>⚠ {html.escape(message)}</span>" if message else ""


def link(url: str, text: str) -> str:
    """An HTML link that looks like one inside a widget (JupyterLab's widget styles drop the colour)."""
    return (
        f"<a href='{html.escape(url)}' target='_blank' rel='noopener' "
        f"style='color:#0b57d0;text-decoration:underline'>{html.escape(text)}</a>"
    )


def status_html(ok: bool | None, message: str) -> str:
    """An escaped HTML status line: ✔ green for ``True``, ✖ red for ``False``, grey for ``None``."""
    colour = {True: "#1b5e20", False: "#b00020", None: "#555"}[ok]
    mark = {True: "✔ ", False: "✖ ", None: ""}[ok]
    return f"<div style='color:{colour}'>{mark}{html.escape(message)}</div>"


def guarded(
    action: Callable[[], object], status: w.HTML, secrets: Callable[[], list[str]] = list
) -> Callable:
    """A widget callback that never lets an exception vanish (JupyterLab hides callback errors): any
    unexpected error is shown in ``status`` in plain words, secrets redacted, and the kernel goes on."""

    def callback(*_: object) -> None:
        try:
            action()
        except Exception as exc:
            log.debug("widget callback failed", exc_info=True)
            message = redact_text(f"Unexpected error ({type(exc).__name__}): {exc}", secrets(), limit=400)
            status.value = status_html(False, message)

    return callback
