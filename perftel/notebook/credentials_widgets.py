"""The credentials form's widgets: company, provider menu, the provider's fields, base URL, Replace, the
consent box; field errors shown beside their fields and cleared the moment the input is valid.

No network and no saving here (it reads the store only to say that saved credentials exist): what the
buttons do is :class:`perftel.notebook.credentials_form.CredentialsForm`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import ipywidgets as w

from perftel.credentials import CredentialStore, validate_company_id
from perftel.errors import ConfigError, PerftelError
from perftel.http.redact import redact_text
from perftel.models import ConnectionStatus
from perftel.notebook.common import ROW, STYLE, WIDGET, field_error, guarded, status_html
from perftel.notebook.credentials_words import display_name
from perftel.providers import get_provider_class, provider_names
from perftel.providers.connect import BASE_URL, CODE, COMPANY, PROVIDER, REPLACE, base_url_problem

_Form = TypeVar("_Form", bound="CredentialsWidgets")


class CredentialsWidgets:
    """The widgets and field errors of the credentials form (see :class:`~perftel.notebook.CredentialsForm`).

    ``errors`` maps a field name (``company_id``, ``provider``, ``base_url``, ``code``, ``replace`` or a
    credential field) to what is wrong with it; ``status`` is the last status line shown; ``fields`` maps
    each credential field to its ``Text`` (``Password`` for secrets) widget; ``widget`` is the whole form.
    """

    def __init__(
        self,
        *,
        company: str = "",
        provider: str = "goto_connect",
        base_url: str = "",
        store: CredentialStore | None = None,
        sandbox: Any = None,
    ) -> None:
        self.store = store or CredentialStore()
        self.sandbox = (
            sandbox  # a running perftel sandbox: offers its demo credentials (sandbox companies only)
        )
        self.errors: dict[str, str] = {}
        self.status = ConnectionStatus(False, "")
        self._secrets: list[str] = []  # the last attempt's secret values, redacted from every message

        names = provider_names()
        self.company = w.Text(
            value=company, description="Company id", placeholder="e.g. acme", style=STYLE, layout=WIDGET
        )
        self.provider = w.Dropdown(
            options=[(display_name(n), n) for n in names],
            value=provider if provider in names else names[0],
            description="Provider",
            style=STYLE,
            layout=WIDGET,
        )
        self.base_url = w.Text(
            value=base_url,
            description="Base URL",
            style=STYLE,
            layout=WIDGET,
            placeholder="empty: the provider's own API (set for a sandbox or proxy)",
        )
        self.save_button = w.Button(description="Save and test", button_style="primary", icon="plug")
        self.replace = w.Checkbox(
            value=False,
            description="Replace the saved credentials",
            indent=False,
            layout=w.Layout(width="auto", display="none"),
        )
        self.sandbox_button = w.Button(
            description="Use the sandbox's credentials",
            icon="flask",
            tooltip="Save and test the local sandbox's demo credentials (never shown) for a sandbox company",
            layout=w.Layout(width="auto", display="none"),
        )
        self.status_html = w.HTML()
        self.fields: dict[str, w.Text | w.Password] = {}
        self._labels: dict[str, w.HTML] = {
            name: w.HTML() for name in (COMPANY, PROVIDER, BASE_URL, CODE, REPLACE)
        }
        self._fields_box = w.VBox()
        # one-time consent
        self.consent_link = w.HTML()
        self.redirect_url = w.Text(
            description="Redirected URL",
            style=STYLE,
            layout=w.Layout(width="620px"),
            placeholder="paste the address your browser was sent to after approving",
        )
        self.consent_button = w.Button(
            description="Complete authorisation",
            button_style="warning",
            icon="key",
            layout=w.Layout(width="auto"),
        )
        self.consent_box = w.VBox(
            [self.consent_link, w.HBox([self.redirect_url, self._labels[CODE]]), self.consent_button],
            layout=w.Layout(display="none"),
        )

        self.provider.observe(guarded(self._build_fields, self.status_html), names="value")
        self.company.observe(guarded(self._company_changed, self.status_html), names="value")
        self.base_url.observe(guarded(self._base_url_changed, self.status_html), names="value")
        self._build_fields()
        self.widget = w.VBox(
            [
                w.HTML("<b>Connect a provider</b>"),
                self._row(self.company, COMPANY),
                self._row(self.provider, PROVIDER),
                self._fields_box,
                self._row(self.base_url, BASE_URL),
                w.HBox([self.save_button, self.sandbox_button, self.replace, self._labels[REPLACE]]),
                self.status_html,
                self.consent_box,
            ],
            layout=ROW,
        )

    # -- display --------------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _row(self, widget: w.Widget, name: str) -> w.HBox:
        return w.HBox([widget, self._labels.setdefault(name, w.HTML())])

    def _build_fields(self) -> None:
        self._fields_rebuilt()
        self.fields = {}
        rows: list[w.Widget] = []
        self._set_error(PROVIDER, "")
        try:
            cls = get_provider_class(self.provider.value)
        except PerftelError as exc:
            self._set_error(PROVIDER, str(exc))
            self.save_button.disabled = True
            self._fields_box.children = ()
            return
        self.save_button.disabled = False
        for spec in cls.credential_fields:
            kind = w.Password if spec.secret else w.Text
            label = spec.label + ("" if spec.required else " (optional)")
            widget = kind(
                description=label,
                placeholder=spec.help,
                style=STYLE,
                layout=WIDGET,
                tooltip=spec.help or spec.label,
            )
            self.fields[spec.name] = widget
            self._labels[spec.name] = w.HTML()
            widget.observe(
                guarded(lambda name=spec.name: self._field_changed(name), self.status_html), "value"
            )
            rows.append(self._row(widget, spec.name))
        self._fields_box.children = tuple(rows)
        self._show_existing()

    def _show_existing(self) -> None:
        company = self.company.value.strip()
        try:
            infos = self.store.list(validate_company_id(company)) if company else []
        except PerftelError:
            return
        info = next((i for i in infos if i.provider == self.provider.value), None)
        self.replace.layout.display = "flex" if info is not None else "none"
        self.replace.value = False
        if info is not None and not self.errors:
            self.status_html.value = status_html(
                None,
                f"Saved credentials found (updated {info.updated_at}): Run uses them. To change them, fill "
                "the form, tick “Replace the saved credentials” and press “Save and test”.",
            )
        elif info is None and not self.errors:
            self.status_html.value = ""
        self._show_sandbox_button()

    # -- live validation: an error goes the moment the input is valid ---------------------------
    def _company_changed(self) -> None:
        if COMPANY in self.errors:
            self._set_error(COMPANY, self._company_problem())
        self._show_existing()
        self._errors_fixed()

    def _base_url_changed(self) -> None:
        if BASE_URL in self.errors:
            self._set_error(BASE_URL, base_url_problem(self.base_url_value))
            self._errors_fixed()
        self._show_sandbox_button()

    def _field_changed(self, name: str) -> None:
        if name in self.errors and self.fields[name].value.strip():
            self._set_error(name, "")
            self._errors_fixed()

    def _errors_fixed(self) -> None:
        """Once every marked field is fixed, the "Nothing was saved" line goes too."""
        if not self.errors and self.status.message.startswith("Nothing was saved"):
            self.status = ConnectionStatus(False, "")
            self.status_html.value = ""

    def _company_problem(self) -> str:
        if not self.company_id:
            return "Required."
        try:
            validate_company_id(self.company_id)
        except ConfigError as exc:
            return str(exc)
        return ""

    def _show_sandbox_button(self) -> None:
        on_sandbox = self.sandbox is not None and (self.base_url_value or "") == self.sandbox.base_url
        self.sandbox_button.layout.display = "flex" if on_sandbox else "none"

    def _set_error(self, name: str, message: str) -> None:
        if message:
            self.errors[name] = message
        else:
            self.errors.pop(name, None)
        label = self._labels.get(name)
        if label is not None:
            label.value = field_error(message)

    def _clear_errors(self) -> None:
        for name in list(self.errors):
            self._set_error(name, "")

    # -- headless API ---------------------------------------------------------------------------
    def fill(self: _Form, values: Mapping[str, Any] | None = None, **more: Any) -> _Form:
        """Put values into the fields (what a user types): company, provider, base_url, credential fields."""
        data = {**(values or {}), **more}
        replace = data.pop(REPLACE, None)
        if PROVIDER in data:
            self.provider.value = data.pop(PROVIDER)
        for name, widget in ((COMPANY, self.company), ("company", self.company), (BASE_URL, self.base_url)):
            if name in data:
                widget.value = str(data.pop(name) or "")
        for name, value in data.items():
            if name in self.fields:
                self.fields[name].value = str(value or "")
        if replace is not None:
            self.replace.value = bool(replace)
        return self

    @property
    def company_id(self) -> str:
        """The company id as typed, stripped (checked only when saving)."""
        return self.company.value.strip()

    @property
    def provider_name(self) -> str:
        """The chosen provider's registry name (``goto_connect``)."""
        return self.provider.value

    @property
    def secrets_cleared(self) -> bool:
        """True when no ``Password`` widget holds a value (what saved widget state would show)."""
        return all(not widget.value for widget in self.fields.values() if isinstance(widget, w.Password))

    @property
    def base_url_value(self) -> str | None:
        """The base URL as typed, stripped; ``None`` when empty (the provider's own API)."""
        return self.base_url.value.strip() or None

    def _finish(self, ok: bool | None, message: str) -> ConnectionStatus:
        message = redact_text(message, self._secrets, limit=600)
        self.status = ConnectionStatus(bool(ok), message)
        self.status_html.value = status_html(ok, message)
        return self.status

    def _fields_rebuilt(self) -> None:
        """Called when the provider's fields are rebuilt (the provider changed); the form drops a pending
        consent here."""
