"""``perftel credentials set|list|delete`` and ``perftel test-connection``.

``credentials set`` gathers the fields (``--field NAME=VALUE``, ``PERFTEL_<PROVIDER>_<FIELD>``
variables, else a prompt on a terminal, hidden for secrets) and hands them to
:func:`perftel.providers.connect.connect_account`, the flow the notebook form uses too: test, then
save; nothing saved on failure; saved credentials replaced only with ``--replace``.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from perftel import config
from perftel.credentials import CredentialStore
from perftel.providers import create_provider, get_provider_class, normalise_name
from perftel.providers.connect import ConnectResult, Outcome, connect_account, replace_refusal

#: error keys of a connect result that are not credential fields (no advice about giving fields)
_NOT_FIELDS = {"company_id", "base_url", "provider"}


def credential_store(args: argparse.Namespace) -> CredentialStore:
    """The credential store ``--config-dir`` names (default: ``$PERFTEL_CONFIG_DIR``, else ~/.config/perftel)."""
    return CredentialStore(getattr(args, "config_dir", None))


def credential_variable(provider: str, field: str) -> str:
    """The environment variable ``credentials set`` reads a field from: ``PERFTEL_<PROVIDER>_<FIELD>``,
    e.g. ``PERFTEL_GOTO_CONNECT_CLIENT_SECRET`` (one provider's, never two providers' at once)."""
    return f"PERFTEL_{provider.upper()}_{field.upper()}"


def cmd_test_connection(args: argparse.Namespace) -> int:
    """``perftel test-connection``: log in with the saved credentials; prints ``ok: …`` (exit 0) or
    ``failed: …`` (exit 1). Raises UnknownProviderError for an unknown ``--provider``."""
    with create_provider(
        args.provider, args.company, base_url=args.base_url, store=credential_store(args)
    ) as provider:
        status = provider.test_connection()
    print(("ok: " if status.success else "failed: ") + status.message)
    return 0 if status.success else 1


def cmd_credentials(args: argparse.Namespace) -> int:
    """``perftel credentials list|delete|set``. ``list`` prints names and dates, never a secret;
    ``set`` exits 0 when saved, 1 when the connection test failed, 2 for bad input or a refusal to
    replace saved credentials (nothing saved in either case)."""
    store = credential_store(args)
    if args.action == "list":
        infos = store.list(args.company)
        if not infos:
            print("No credentials saved.")
        for info in infos:
            print(
                f"{info.company_id:20} {info.provider:14} fields: {', '.join(info.fields) or '-':40} "
                f"tokens: {'yes' if info.has_tokens else 'no ':3}  saved {info.created_at}  updated {info.updated_at}"
            )
        return 0
    name = normalise_name(args.provider)
    if args.action == "delete":
        print(
            "deleted" if store.delete(args.company, name) else "nothing saved for that company and provider"
        )
        return 0
    return _credentials_set(args, store, name)


def _credentials_set(args: argparse.Namespace, store: CredentialStore, name: str) -> int:
    refusal = replace_refusal(store, args.company, name, replace=args.replace)
    if refusal is not None:  # said before asking for any secret
        return _report(refusal, name)
    cls = get_provider_class(name)
    given = dict(item.split("=", 1) for item in args.field if "=" in item)
    values: dict[str, str] = {}
    for field in cls.credential_fields:
        env_value = config.env(credential_variable(name, field.name))
        value = given.get(field.name) or env_value
        if value is None and sys.stdin.isatty():
            prompt = f"{field.label}{'' if field.required else ' (optional)'}: "
            value = getpass.getpass(prompt) if field.secret else input(prompt)
        if value:
            values[field.name] = value.strip()
    result = connect_account(
        name,
        args.company,
        values,
        base_url=args.base_url,
        store=store,
        replace=args.replace,
        test=not args.no_test,
        consent=_ask_consent,
    )
    return _report(result, name)


def _ask_consent(url: str) -> str | None:
    """The CLI's side of the one-time consent: print the link, read the redirected URL (``None`` at EOF)."""
    print("One-time consent: open this link, approve access, then paste the address you were sent to.")
    print(url, flush=True)
    try:
        return input("Redirected URL (or code): ")
    except EOFError:
        return None


def _report(result: ConnectResult, name: str) -> int:
    """Print a connect result the CLI's way; the exit code: 0 saved, 1 the test failed, 2 bad input."""
    if result.outcome is Outcome.CONNECTED:
        print("ok: " + result.message)
        return 0
    if result.outcome is Outcome.SAVED_UNTESTED:
        print("saved: " + result.message)
        return 0
    if result.outcome is Outcome.FAILED:
        print("failed: " + result.message)
        return 1
    if result.outcome is Outcome.NEEDS_CONSENT:
        print(
            "failed: no redirected URL was given, so nothing was saved. Run the command in a terminal to "
            "paste it, or give the refresh token."
        )
        return 1
    hint = ""
    if result.outcome is Outcome.EXISTS:
        hint = " Add --replace to overwrite them."
    elif result.outcome is Outcome.INVALID and not (result.errors and set(result.errors) <= _NOT_FIELDS):
        hint = (
            f" Give each field with --field NAME=VALUE or {credential_variable(name, '<FIELD>')}, or type it "
            "when asked (on a terminal)."
        )
    print(f"error: {result.message}{hint}", file=sys.stderr)
    return 2
