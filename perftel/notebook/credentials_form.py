"""The credentials form: company, provider, the provider's fields, base URL; save = test, then store.

Nothing is saved until the connection works. Secrets are read from ``Password`` widgets into
:class:`Secret` objects (masked ``repr``), and the widgets are cleared at once, so a secret never
reaches a notebook output or saved widget state.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as w

from perftel.credentials import CredentialStore, validate_company_id
from perftel.errors import ApiError, AuthError, ConfigError, CredentialsError, NetworkError, PerftelError
from perftel.http.redact import redact_text
from perftel.models import ConnectionStatus
from perftel.notebook.common import ROW, STYLE, WIDGET, Secret, field_error, guarded, link, status_html
from perftel.notebook.sample_data import SANDBOX_COMPANIES, is_sandbox_company
from perftel.providers import ConsentFlow, Provider, create_provider, get_provider_class, provider_names

COMPANY, PROVIDER, BASE_URL, CODE, REPLACE = "company_id", "provider", "base_url", "code", "replace"
#: seconds the form waits for a base URL's host to accept a connection before saying it is unreachable
CONNECT_TIMEOUT = 2.0
# command-line advice inside provider messages: the form says what to do in the form instead
_CLI_ADVICE = re.compile(r"\s*\(?`?perftel [a-z-]+ [^)`]*`?\)?(?=[.\s]|$)")


class CredentialsForm:
    """Company id, provider dropdown built from the registry, the provider's credential fields.

    ``save()`` (the Save button) checks the fields, tests the connection with the values in memory and
    only then stores them encrypted. For a provider with a one-time consent (GoTo Connect without a
    refresh token) it shows the authorisation link, a field for the redirected URL and a button that
    calls ``complete_authorization`` — then tests and stores. ``errors`` maps field names to what is wrong.
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
        self.saved = False
        self._pending: Provider | None = None  # in-memory provider waiting for the consent
        self._pending_values: dict[str, Secret | str] = {}

        names = provider_names()
        self.company = w.Text(
            value=company, description="Company id", placeholder="e.g. acme", style=STYLE, layout=WIDGET
        )
        self.provider = w.Dropdown(
            options=[(_display_name(n), n) for n in names],
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
        self.save_button.on_click(guarded(self.save, self.status_html, self._pending_secrets))
        self.sandbox_button.on_click(guarded(self.use_sandbox, self.status_html, self._pending_secrets))
        self.consent_button.on_click(
            guarded(self.complete_authorization, self.status_html, self._pending_secrets)
        )
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
        self._reset_pending()
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
            self._set_error(BASE_URL, _url_problem(self.base_url_value))
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
    def fill(self, values: Mapping[str, Any] | None = None, **more: Any) -> CredentialsForm:
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
        return self.company.value.strip()

    @property
    def provider_name(self) -> str:
        return self.provider.value

    @property
    def secrets_cleared(self) -> bool:
        """True when no ``Password`` widget holds a value (what saved widget state would show)."""
        return all(not widget.value for widget in self.fields.values() if isinstance(widget, w.Password))

    @property
    def base_url_value(self) -> str | None:
        return self.base_url.value.strip() or None

    def save(self) -> ConnectionStatus:
        """Check the fields, test the connection, store encrypted on success. Never raises."""
        self._reset_pending()
        self._clear_errors()
        self.saved = False
        values = self._take_values()  # secrets leave the widgets here, whatever happens next
        if not self._check(values):
            return self._finish(False, "Nothing was saved: fix the fields marked ⚠.")
        if not self.replace.value and self._saved_already():
            self._set_error(REPLACE, "Tick this to overwrite the credentials that work now.")
            self.replace.layout.display = "flex"
            return self._finish(
                False,
                f"Nothing was saved: company {self.company_id} already has saved "
                f"{_display_name(self.provider_name)} credentials.",
            )
        self.status_html.value = status_html(None, "Testing the connection…")
        unreachable = _unreachable(self.base_url_value)
        if unreachable:
            self._set_error(BASE_URL, unreachable)
            return self._finish(False, "Nothing was saved: the base URL does not answer.")
        try:
            provider = self._provider(values)
        except PerftelError as exc:
            return self._fail(exc, values)
        if not values.get("refresh_token") and isinstance(provider, ConsentFlow):
            return self._start_consent(provider, values)
        return self._test_and_store(provider, values)

    def use_sandbox(self) -> ConnectionStatus:
        """Save and test the running sandbox's demo credentials (what "Use the sandbox's credentials" does).

        Only for a sandbox company (:data:`~perftel.notebook.sample_data.SANDBOX_COMPANIES`), never a real
        one; it replaces that company's saved sandbox credentials. The values go from the sandbox object to
        the store without being shown. Never raises.
        """
        self._clear_errors()
        if self.sandbox is None:
            return self._finish(False, "No local sandbox is running in this notebook.")
        if not is_sandbox_company(self.company_id):
            self._set_error(
                COMPANY,
                f"Sandbox credentials only go to a sandbox company ({', '.join(SANDBOX_COMPANIES)}), "
                "never to a real one.",
            )
            return self._finish(False, "Nothing was saved: type a sandbox company id.")
        self.base_url.value = self.sandbox.base_url
        return self.fill(self.sandbox.credentials, replace=True).save()

    def complete_authorization(self, redirected: str | None = None) -> ConnectionStatus:
        """Step 2 of the one-time consent: exchange the pasted URL, test, then store. Never raises."""
        if redirected is not None:
            self.redirect_url.value = redirected
        text = self.redirect_url.value.strip()
        self.redirect_url.value = ""  # it holds a one-time code
        self._set_error(CODE, "")
        provider, values = self._pending, self._pending_values
        if provider is None:
            return self._finish(False, "Press “Save and test” first.")
        if not text:
            self._set_error(CODE, "Paste the address you were sent to after approving.")
            return self._finish(False, "Waiting for the redirected URL.")
        try:
            provider.complete_authorization(text)
        except PerftelError as exc:
            if isinstance(exc, ConfigError) and exc.field == CODE:
                self._set_error(CODE, str(exc))
                return self._finish(False, "Nothing was saved.")
            return self._fail(exc, values)
        return self._test_and_store(provider, values)

    # -- steps ----------------------------------------------------------------------------------
    def _take_values(self) -> dict[str, Secret | str]:
        values: dict[str, Secret | str] = {}
        for name, widget in self.fields.items():
            raw = widget.value.strip()
            if isinstance(widget, w.Password):
                widget.value = ""
                values[name] = Secret(raw)
            else:
                values[name] = raw
        return values

    def _check(self, values: Mapping[str, Secret | str]) -> bool:
        try:
            validate_company_id(self.company_id)
        except ConfigError as exc:
            self._set_error(COMPANY, "Required." if not self.company_id else str(exc))
        if _url_problem(self.base_url_value):
            self._set_error(BASE_URL, _url_problem(self.base_url_value))
        try:
            specs = get_provider_class(self.provider_name).credential_fields
        except PerftelError as exc:
            self._set_error(PROVIDER, str(exc))
            specs = ()
        for spec in specs:
            if spec.required and not values.get(spec.name):
                self._set_error(
                    spec.name,
                    "Required."
                    + (" (re-enter it: secrets are cleared after each try)" if spec.secret else ""),
                )
        return not self.errors

    def _saved_already(self) -> bool:
        try:
            return self.store.exists(self.company_id, self.provider_name)
        except PerftelError:
            return False

    def _provider(self, values: Mapping[str, Secret | str]) -> Provider:
        plain = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in values.items() if v}
        return create_provider(
            self.provider_name,
            self.company_id,
            base_url=self.base_url_value,
            credentials=plain,
            store=self.store,
        )

    def _start_consent(self, provider: Provider, values: dict[str, Secret | str]) -> ConnectionStatus:
        self._pending, self._pending_values = provider, values
        url = provider.authorization_url()  # type: ignore[attr-defined]
        self.consent_link.value = (
            f"<b>One-time consent.</b> Open {link(url, f'the {provider.display_name} authorisation page')}, "
            "approve access, then paste below the address your browser was sent to (it holds a one-time code)."
        )
        self.consent_box.layout.display = "flex"
        return self._finish(None, "Approve access with the link below; nothing is saved until that works.")

    def _test_and_store(self, provider: Provider, values: dict[str, Secret | str]) -> ConnectionStatus:
        try:
            detail = provider.login()
            tokens = provider.token_store.load()  # a refresh token may have been rotated by the test
        except PerftelError as exc:
            return self._fail(exc, values, provider)
        plain = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in values.items() if v}
        if tokens.refresh_token:
            plain["refresh_token"] = tokens.refresh_token
        try:
            self.store.save(self.company_id, self.provider_name, plain)
        except PerftelError as exc:
            return self._fail(exc, values, provider)
        finally:
            provider.close()
        self._reset_pending(close=False)
        self.saved = True
        self.replace.value = False
        self.replace.layout.display = "flex"
        message = (
            f"Connected to {provider.display_name}{': ' + detail if detail else ''}. Credentials saved "
            f"(encrypted) for company {self.company_id}."
        )
        return self._finish(True, message, secrets=list(plain.values()))

    def _fail(
        self, exc: PerftelError, values: Mapping[str, Secret | str], provider: Provider | None = None
    ) -> ConnectionStatus:
        secrets = [v.reveal() for v in values.values() if isinstance(v, Secret)]
        if provider is not None:
            secrets += provider.secret_values()
            provider.close()
        message = _in_form_words(redact_text(str(exc), secrets, limit=400), exc)
        field = _field_for(exc, self.fields, has_base_url=bool(self.base_url_value))
        if field:
            self._set_error(field, message)
        self._reset_pending(close=False)
        return self._finish(
            False,
            ("Nothing was saved. " + ("See the field marked ⚠." if field else message)),
            secrets=secrets,
        )

    def _finish(self, ok: bool | None, message: str, *, secrets: list[str] | None = None) -> ConnectionStatus:
        message = redact_text(message, secrets or [], limit=600)
        self.status = ConnectionStatus(bool(ok), message)
        self.status_html.value = status_html(ok, message)
        return self.status

    def _pending_secrets(self) -> list[str]:
        return [v.reveal() for v in self._pending_values.values() if isinstance(v, Secret)]

    def _reset_pending(self, *, close: bool = True) -> None:
        if close and self._pending is not None:
            self._pending.close()
        self._pending, self._pending_values = None, {}
        self.consent_box.layout.display = "none"
        self.consent_link.value = ""


def _url_problem(url: str | None) -> str:
    if url and not url.startswith(("http://", "https://")):
        return "A base URL starts with http:// or https://."
    return ""


def _unreachable(url: str | None, timeout: float = CONNECT_TIMEOUT) -> str:
    """A plain sentence when nothing accepts a TCP connection at ``url``'s host and port within
    ``timeout`` seconds ("" when it does, or when there is no base URL: the provider's own API)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    if not host:
        return "The base URL has no host name."
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        return (
            f"Nothing answers at {host}:{port} ({reason} within {timeout:g} s). Check the address, or start "
            "the sandbox again by re-running the form's cell."
        )


def _in_form_words(message: str, exc: PerftelError) -> str:
    """A provider message with its command-line advice replaced by what to do in this form."""
    cleaned = _CLI_ADVICE.sub("", message).replace(" Run the consent again.", "").strip()
    if isinstance(exc, (AuthError, CredentialsError)):
        cleaned = cleaned.rstrip(".") + (
            ". Re-enter the secret (and leave the refresh token empty to approve access again), then "
            "press “Save and test”."
        )
    return cleaned


def _display_name(name: str) -> str:
    try:
        return get_provider_class(name).display_name
    except PerftelError:
        return f"{name} (not available)"


def _field_for(exc: PerftelError, fields: Mapping[str, w.Widget], *, has_base_url: bool) -> str | None:
    """Which field an error belongs next to."""
    if isinstance(exc, ConfigError) and exc.field:
        return {"company": COMPANY}.get(exc.field, exc.field)
    if isinstance(exc, NetworkError):
        return BASE_URL
    if isinstance(exc, (AuthError, CredentialsError)):
        secret = [n for n, widget in fields.items() if isinstance(widget, w.Password)]
        return secret[0] if secret else None
    if isinstance(exc, ApiError) and exc.status_code == 404 and has_base_url:
        return BASE_URL
    return None
