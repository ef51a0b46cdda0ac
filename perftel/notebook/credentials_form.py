"""The credentials form: company, provider, the provider's fields, base URL; save = test, then store.

Nothing is saved until the connection works. Secrets are read from ``Password`` widgets into
:class:`Secret` objects (masked ``repr``), and the widgets are cleared at once, so a secret never
reaches a notebook output or saved widget state.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from perftel.credentials import CredentialStore
from perftel.models import ConnectionStatus
from perftel.notebook.common import Secret, guarded, link, status_html
from perftel.notebook.credentials_widgets import CredentialsWidgets
from perftel.notebook.credentials_words import in_form_words
from perftel.notebook.sample_data import SANDBOX_COMPANIES, is_sandbox_company
from perftel.providers.connect import (
    CODE,
    COMPANY,
    REPLACE,
    AccountConnection,
    ConnectResult,
    Outcome,
)


class CredentialsForm(CredentialsWidgets):
    """Company id, provider dropdown built from the registry, the provider's credential fields.

    ``save()`` (the Save button) checks the fields, tests the connection with the values in memory and
    only then stores them encrypted — :class:`~perftel.providers.connect.AccountConnection`, the flow
    ``perftel credentials set`` runs too. For a provider with a one-time consent (GoTo Connect without a
    refresh token) it shows the authorisation link, a field for the redirected URL and a button that
    calls ``complete_authorization`` — then tests and stores. Saved credentials are replaced only with
    “Replace the saved credentials” ticked; the sandbox's demo credentials go to sandbox companies only.
    ``errors`` maps field names to what is wrong; ``saved`` is True after a save that worked.
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
        self.saved = False
        self._pending: AccountConnection | None = None  # the attempt waiting for the consent
        super().__init__(company=company, provider=provider, base_url=base_url, store=store, sandbox=sandbox)
        self.save_button.on_click(guarded(self.save, self.status_html, self._pending_secrets))
        self.sandbox_button.on_click(guarded(self.use_sandbox, self.status_html, self._pending_secrets))
        self.consent_button.on_click(
            guarded(self.complete_authorization, self.status_html, self._pending_secrets)
        )

    def save(self) -> ConnectionStatus:
        """Check the fields, test the connection, store encrypted on success (Save and test). Never raises.

        The steps are :class:`~perftel.providers.connect.AccountConnection`'s (the CLI's too); the form
        puts each problem beside its field. For a one-time consent it shows the link and waits for
        :meth:`complete_authorization`; nothing is saved until that works.
        """
        self._reset_pending()
        self._clear_errors()
        self.saved = False
        values = self._take_values()  # secrets leave the widgets here, whatever happens next
        self._secrets = [v.reveal() for v in values.values() if isinstance(v, Secret) and v]
        self.status_html.value = status_html(None, "Testing the connection…")
        attempt = AccountConnection(
            self.provider_name,
            self.company_id,
            {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in values.items()},
            base_url=self.base_url_value,
            store=self.store,
            replace=self.replace.value,
        )
        result = attempt.start()
        if result.outcome is Outcome.NEEDS_CONSENT:
            return self._start_consent(attempt, result)
        attempt.close()
        return self._show(result)

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
        """Step 2 of the one-time consent: exchange the pasted URL, test, then store. Never raises.

        ``redirected`` (default: the "Redirected URL" field) is the address the browser was sent to
        after approving, or the bare code; the field is cleared at once (it holds a one-time code).
        """
        if redirected is not None:
            self.redirect_url.value = redirected
        text = self.redirect_url.value.strip()
        self.redirect_url.value = ""  # it holds a one-time code
        self._set_error(CODE, "")
        attempt = self._pending
        if attempt is None:
            return self._finish(False, "Press “Save and test” first.")
        if not text:
            self._set_error(CODE, "Paste the address you were sent to after approving.")
            return self._finish(False, "Waiting for the redirected URL.")
        result = attempt.complete_consent(text)
        if result.outcome is Outcome.INVALID and CODE in result.errors:
            self._set_error(CODE, result.errors[CODE])  # the consent stays open: paste again
            return self._finish(False, "Nothing was saved.")
        self._reset_pending()
        return self._show(result)

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

    def _start_consent(self, attempt: AccountConnection, result: ConnectResult) -> ConnectionStatus:
        self._pending = attempt
        url = result.authorization_url or ""
        self.consent_link.value = (
            f"<b>One-time consent.</b> Open {link(url, f'the {result.display_name} authorisation page')}, "
            "approve access, then paste below the address your browser was sent to (it holds a one-time code)."
        )
        self.consent_box.layout.display = "flex"
        return self._finish(None, "Approve access with the link below; nothing is saved until that works.")

    def _show(self, result: ConnectResult) -> ConnectionStatus:
        """Put a connect result into the form: field errors beside their fields, one status line."""
        if result.outcome is Outcome.CONNECTED:
            self.saved = True
            self.replace.value = False
            self.replace.layout.display = "flex"
            return self._finish(True, result.message)
        if result.outcome is Outcome.EXISTS:
            self._set_error(REPLACE, "Tick this to overwrite the credentials that work now.")
            self.replace.layout.display = "flex"
            return self._finish(
                False,
                f"Nothing was saved: company {self.company_id} already has saved "
                f"{result.display_name} credentials.",
            )
        secret_fields = {n for n, widget in self.fields.items() if isinstance(widget, w.Password)}
        for name, problem in result.errors.items():
            if result.outcome is Outcome.INVALID:
                hint = " (re-enter it: secrets are cleared after each try)" if name in secret_fields else ""
                self._set_error(name, problem + (hint if problem == "Required." else ""))
            else:
                self._set_error(name, in_form_words(problem, result.error_type))
        if result.errors:
            return self._finish(
                False,
                "Nothing was saved: fix the fields marked ⚠."
                if result.outcome is Outcome.INVALID
                else "Nothing was saved. See the field marked ⚠.",
            )
        if result.problem:
            return self._finish(
                False, "Nothing was saved. " + in_form_words(result.problem, result.error_type)
            )
        return self._finish(False, result.message)

    def _pending_secrets(self) -> list[str]:
        return list(self._secrets)

    def _fields_rebuilt(self) -> None:
        self._reset_pending()

    def _reset_pending(self) -> None:
        if self._pending is not None:
            self._pending.close()
        self._pending = None
        self.consent_box.layout.display = "none"
        self.consent_link.value = ""
