"""Connect an account: check the fields, test the connection with the values in memory, then save.

The one flow behind ``perftel credentials set`` and the notebook's credentials form::

    result = connect_account("goto_connect", "acme", {"client_id": ..., "client_secret": ...},
                             consent=lambda url: input(f"open {url}, paste the redirected URL: "))
    print(result.message)      # "Connected to GoTo Connect: account 1234. Credentials saved (encrypted) …"

Steps, in order; the first that fails ends the flow with **nothing saved**:

1. the input — company id, base URL shape, provider name, required fields
   (``CredentialField.required``), then the provider's own ``check_credentials`` (alternatives such
   as Twilio's Auth Token *or* API key);
2. the replace guard — a company's saved credentials are overwritten only with ``replace=True``;
3. the base URL answers (a TCP connect within :data:`CONNECT_TIMEOUT` seconds; none for the
   provider's own API);
4. the driver is built from the values in memory (never from the store) and, for a provider with a
   one-time consent (:class:`~perftel.providers.capabilities.ConsentFlow`, GoTo Connect without a
   refresh token), the consent runs: ``consent(url)`` returns the redirected URL, or the caller
   finishes it later with :meth:`AccountConnection.complete_consent` (the form's two buttons);
5. ``login()`` — the connection test;
6. the values, plus the refresh token the test or the consent obtained, are saved encrypted.

``test=False`` (``credentials set --no-test``) stops after step 2 and saves the fields as given: no
network, no consent. Messages never hold a secret: every value given and every token obtained is
redacted (:func:`perftel.http.redact.redact_text`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from perftel import config
from perftel.company import validate_company_id
from perftel.credentials import CredentialStore
from perftel.errors import ConfigError, NetworkError, PerftelError
from perftel.http.redact import redact_text
from perftel.providers.base import Provider
from perftel.providers.capabilities import ConsentFlow
from perftel.providers.connect_checks import (
    BASE_URL,
    CODE,
    COMPANY,
    CONNECT_TIMEOUT,
    PROVIDER,
    REPLACE,
    ConnectResult,
    Outcome,
    base_url_problem,
    error_field,
    replace_refusal,
    unreachable_reason,
)
from perftel.providers.registry import create_provider, get_provider_class, normalise_name


class AccountConnection:
    """One connect attempt, in steps: :meth:`start`, then (one-time consent only) :meth:`complete_consent`.

    Holds the values in memory (its ``repr`` never shows them) and, while a consent is pending, the
    driver that will receive its tokens; :meth:`close` (or the context manager) releases it.
    :func:`connect_account` runs both steps for callers that can ask for the redirected URL inline.

    Args:
        provider: a provider name, any spelling :func:`~perftel.providers.registry.normalise_name` accepts.
        company_id: the tenant the credentials are saved for (checked by ``validate_company_id``).
        values: credential field → value, as typed (stripped; blank ones dropped; unknown keys ignored).
        base_url: a sandbox or proxy instead of the provider's own API (``None``:
            ``PERFTEL_<PROVIDER>_BASE_URL``, else its own API).
        store: where to save (default: the one in ``PERFTEL_CONFIG_DIR``).
        replace: overwrite credentials already saved for this company and provider.
        test: ``False`` saves after the input checks without contacting the provider (no consent).
        transport: an ``httpx`` transport for the driver (tests); default: the network.
    """

    def __init__(
        self,
        provider: str,
        company_id: str,
        values: Mapping[str, Any],
        *,
        base_url: str | None = None,
        store: CredentialStore | None = None,
        replace: bool = False,
        test: bool = True,
        transport: Any = None,
    ) -> None:
        self.provider_name = str(provider)
        self.display_name = str(provider)
        self.company_id = (company_id or "").strip()
        self.base_url = (base_url or "").strip() or None
        self.store = store if store is not None else CredentialStore()
        self.replace = replace
        self.test = test
        self._transport = transport
        self._values = {k: str(v).strip() for k, v in values.items() if v is not None and str(v).strip()}
        self._cls: type[Provider] | None = None
        self._driver: Provider | None = None

    def __repr__(self) -> str:
        return (
            f"AccountConnection(provider={self.provider_name!r}, company_id={self.company_id!r}, "
            f"fields={sorted(self._values)})"
        )

    def __enter__(self) -> AccountConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pending(self) -> bool:
        """True while a one-time consent waits for :meth:`complete_consent`."""
        return self._driver is not None

    def close(self) -> None:
        """Drop a pending consent and release its HTTP connections (nothing is saved)."""
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    # -- step 1 ---------------------------------------------------------------------------------
    def start(self) -> ConnectResult:
        """Check the input, apply the replace guard, then test and save — or stop at the consent.

        Returns ``INVALID``, ``EXISTS``, ``FAILED``, ``NEEDS_CONSENT`` (with ``authorization_url``),
        ``SAVED_UNTESTED`` or ``CONNECTED``. Raises nothing for a perftel error; anything else is a bug.
        """
        self.close()
        problem = self._check_input()
        if problem is not None:
            return problem
        refusal = replace_refusal(self.store, self.company_id, self.provider_name, replace=self.replace)
        if refusal is not None:
            return refusal
        assert self._cls is not None
        if not self.test:
            return self._save(self._cls.known_values(self._values), tested=False, detail="")
        unreachable = unreachable_reason(config.provider_base_url(self.provider_name, self.base_url))
        if unreachable:
            return self._result(
                Outcome.FAILED,
                f"Nothing was saved: {unreachable}",
                errors={BASE_URL: unreachable},
                error_type=NetworkError,
                problem=unreachable,
            )
        try:
            driver = create_provider(
                self.provider_name,
                self.company_id,
                base_url=self.base_url,
                credentials=self._values,
                store=self.store,
                transport=self._transport,
            )
        except PerftelError as exc:
            return self._failed(exc, None)
        if not self._values.get("refresh_token") and isinstance(driver, ConsentFlow):
            try:
                url = driver.authorization_url()
            except PerftelError as exc:
                return self._failed(exc, driver)
            self._driver = driver
            return self._result(
                Outcome.NEEDS_CONSENT,
                f"One-time consent: open the {self.display_name} authorisation page, approve access, then "
                "give the address your browser was sent to. Nothing is saved until that works.",
                authorization_url=url,
            )
        return self._test_and_save(driver)

    # -- step 2 (one-time consent only) ---------------------------------------------------------
    def complete_consent(self, redirected: str | None) -> ConnectResult:
        """Exchange the redirected URL (or the bare code) for tokens, then test and save.

        A text without a code returns ``INVALID`` with ``errors["code"]`` and keeps the consent
        pending (paste again); a refused consent or exchange returns ``FAILED`` and ends it. Without a
        pending consent (call :meth:`start` first) it returns ``INVALID``.
        """
        driver = self._driver
        if driver is None:
            return self._result(Outcome.INVALID, "No consent is waiting: start the connection first.")
        text = (redirected or "").strip()
        if not text:
            problem = "Give the address you were sent to after approving access."
            return self._result(Outcome.INVALID, f"Nothing was saved: {problem}", errors={CODE: problem})
        try:
            assert isinstance(driver, ConsentFlow)
            driver.complete_authorization(text)
        except ConfigError as exc:
            if exc.field == CODE:
                problem = redact_text(str(exc), [text, *self._secrets(driver)], limit=400)
                return self._result(Outcome.INVALID, f"Nothing was saved: {problem}", errors={CODE: problem})
            self._driver = None
            return self._failed(exc, driver, extra=[text])
        except PerftelError as exc:
            self._driver = None
            return self._failed(exc, driver, extra=[text])
        self._driver = None
        return self._test_and_save(driver)

    # -- the steps ------------------------------------------------------------------------------
    def _check_input(self) -> ConnectResult | None:
        errors: dict[str, str] = {}
        try:
            validate_company_id(self.company_id)
        except ConfigError as exc:
            errors[COMPANY] = "Required." if not self.company_id else str(exc)
        if base_url_problem(self.base_url):
            errors[BASE_URL] = base_url_problem(self.base_url)
        try:
            self.provider_name = normalise_name(self.provider_name)
            self._cls = get_provider_class(self.provider_name)
            self.display_name = self._cls.display_name
        except PerftelError as exc:
            errors[PROVIDER] = str(exc)
        if self._cls is not None:
            for spec in self._cls.credential_fields:
                if spec.required and not self._values.get(spec.name):
                    errors[spec.name] = "Required."
        if errors:
            required = [name for name, problem in errors.items() if problem == "Required."]
            parts = (
                [f"{', '.join(required)} {'is' if len(required) == 1 else 'are'} required"]
                if required
                else []
            )
            parts += [
                f"{name}: {problem.rstrip('.')}" for name, problem in errors.items() if name not in required
            ]
            return self._result(Outcome.INVALID, f"Nothing was saved: {'; '.join(parts)}.", errors=errors)
        assert self._cls is not None
        try:
            self._cls.check_credentials(self._values)
        except PerftelError as exc:
            message = redact_text(str(exc), self._secrets(None), limit=400)
            return self._result(
                Outcome.INVALID, f"Nothing was saved: {message}", error_type=type(exc), problem=message
            )
        return None

    def _test_and_save(self, driver: Provider) -> ConnectResult:
        try:
            detail = driver.login()
            tokens = driver.token_store.load()  # the test may have obtained or rotated a refresh token
        except PerftelError as exc:
            return self._failed(exc, driver)
        values = driver.known_values(self._values)
        if tokens.refresh_token:
            values["refresh_token"] = tokens.refresh_token
        secrets = self._secrets(driver)
        driver.close()
        return self._save(values, tested=True, detail=detail, secrets=secrets)

    def _save(
        self, values: dict[str, str], *, tested: bool, detail: str, secrets: list[str] | None = None
    ) -> ConnectResult:
        try:
            self.store.save(self.company_id, self.provider_name, values)
        except PerftelError as exc:
            return self._failed(exc, None)
        where = f"(encrypted in {self.store.root})"
        if tested:
            message = (
                f"Connected to {self.display_name}{': ' + detail if detail else ''}. Credentials saved "
                f"{where} for company {self.company_id}."
            )
            return self._result(Outcome.CONNECTED, message, secrets=secrets)
        message = (
            f"Saved {self.display_name} credentials {where} for company {self.company_id}, untested: "
            f"the provider was not contacted. Check them with `perftel test-connection --company "
            f"{self.company_id} --provider {self.provider_name}`."
        )
        return self._result(Outcome.SAVED_UNTESTED, message, secrets=secrets)

    def _failed(
        self, exc: PerftelError, driver: Provider | None, extra: tuple[str, ...] | list[str] = ()
    ) -> ConnectResult:
        secrets = [*self._secrets(driver), *extra]
        if driver is not None:
            driver.close()
        problem = redact_text(str(exc), secrets, limit=400)
        overridden = config.provider_base_url(self.provider_name, self.base_url)
        name = error_field(exc, self._cls, has_base_url=bool(overridden))
        return self._result(
            Outcome.FAILED,
            f"{self.display_name}: {problem.rstrip('.')}. Nothing was saved.",
            errors={name: problem} if name else {},
            error_type=type(exc),
            secrets=secrets,
            problem=problem,
        )

    def _result(
        self,
        outcome: Outcome,
        message: str,
        *,
        errors: Mapping[str, str] | None = None,
        error_type: type[PerftelError] | None = None,
        authorization_url: str | None = None,
        secrets: list[str] | None = None,
        problem: str = "",
    ) -> ConnectResult:
        hidden = [*(secrets or []), *self._secrets(None)]
        return ConnectResult(
            outcome,
            redact_text(message, hidden, limit=800),
            provider_name=self.provider_name,
            display_name=self.display_name,
            errors=MappingProxyType(
                {k: redact_text(v, hidden, limit=400) for k, v in (errors or {}).items()}
            ),
            error_type=error_type,
            authorization_url=authorization_url,
            problem=redact_text(problem, hidden, limit=400),
        )

    def _secrets(self, driver: Provider | None) -> list[str]:
        """Every value that may be secret: the secret fields, and any value of an unknown provider."""
        secret_names = {f.name for f in self._cls.credential_fields if f.secret} if self._cls else None
        values = [v for k, v in self._values.items() if secret_names is None or k in secret_names]
        values += [v for k, v in self._values.items() if k in ("access_token", "refresh_token")]
        if driver is not None:
            values += driver.secret_values()
        return values


def connect_account(
    provider: str,
    company_id: str,
    values: Mapping[str, Any],
    *,
    base_url: str | None = None,
    store: CredentialStore | None = None,
    replace: bool = False,
    test: bool = True,
    consent: Callable[[str], str | None] | None = None,
) -> ConnectResult:
    """Check, test, then save one company's credentials for ``provider``; nothing is saved on failure.

    The whole flow is :class:`AccountConnection` (see the module docstring for the steps). When the
    provider needs its one-time consent, ``consent(authorization_url)`` must return the address the
    browser was sent to after approving (or the bare code); without ``consent`` — or when it returns
    ``None`` — the result is ``NEEDS_CONSENT`` and nothing is saved.

    Returns:
        a :class:`ConnectResult`; ``result.saved`` says whether anything was written.
    """
    with AccountConnection(
        provider, company_id, values, base_url=base_url, store=store, replace=replace, test=test
    ) as attempt:
        result = attempt.start()
        if result.outcome is Outcome.NEEDS_CONSENT and consent is not None:
            assert result.authorization_url is not None
            redirected = consent(result.authorization_url)
            if redirected is not None:
                result = attempt.complete_consent(redirected)
        return result


__all__ = [
    "BASE_URL",
    "CODE",
    "COMPANY",
    "CONNECT_TIMEOUT",
    "PROVIDER",
    "REPLACE",
    "AccountConnection",
    "ConnectResult",
    "Outcome",
    "base_url_problem",
    "connect_account",
    "error_field",
    "replace_refusal",
    "unreachable_reason",
]
