"""Language names, tags and Whisper's language codes: one place that maps what users type to Whisper.

Users write a language the way their tools do: a BCP-47 tag (``pt-BR``, ``en-US``, ``zh-Hant-TW``), a
locale (``pt_BR``), an ISO 639-2/3 code (``por``), or a name in English or in the language itself
(``Portuguese``, ``Português``, ``español``). :func:`whisper_language` maps one of those to the code
Whisper decodes with (``pt``); :func:`parse_languages` does it for a comma list (``"pt-BR, en-US"`` →
``("pt", "en")``), and :func:`canonical_language` gives the string form perftel passes around
(``"pt,en"``; ``None`` for "detect").

Tags and names are read with `langcodes <https://github.com/georgian-io/langcodes>`_ (names need its
``language_data`` companion); the region and script are dropped because Whisper has one code per
language. The list of codes is Whisper's own (``faster_whisper.tokenizer._LANGUAGE_CODES``, the 99
languages of openai/whisper plus Cantonese); ``tests/test_languages.py`` checks the copy below against
the installed faster-whisper. Standard library and langcodes only: cheap to import before any work.
"""

from __future__ import annotations

from collections.abc import Iterable

from perftel.errors import ConfigError

# faster_whisper.tokenizer._LANGUAGE_CODES (faster-whisper 1.1-1.2), in Whisper's order.
WHISPER_LANGUAGES: tuple[str, ...] = (
    "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy", "da", "de",
    "el", "en", "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw", "he", "hi", "hr", "ht",
    "hu", "hy", "id", "is", "it", "ja", "jw", "ka", "kk", "km", "kn", "ko", "la", "lb", "ln", "lo", "lt",
    "lv", "mg", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl", "nn", "no", "oc", "pa", "pl",
    "ps", "pt", "ro", "ru", "sa", "sd", "si", "sk", "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta",
    "te", "tg", "th", "tk", "tl", "tr", "tt", "uk", "ur", "uz", "vi", "yi", "yo", "zh", "yue",
)  # fmt: skip
_KNOWN = frozenset(WHISPER_LANGUAGES)

# Where Whisper's code differs from the one langcodes normalises to (Whisper keeps some older codes).
_TO_WHISPER = {"jv": "jw", "fil": "tl", "nb": "no"}
_FROM_WHISPER = {whisper: tag for tag, whisper in _TO_WHISPER.items()}
DETECT = frozenset({"", "auto", "detect", "none"})  # spellings of "no language: detect it"
SEPARATORS = (",", ";")


def whisper_language(value: str) -> str:
    """Whisper's code for one language given as a tag, locale, ISO 639 code or name.

    ``"pt-BR"``, ``"pt_BR"``, ``"por"``, ``"Portuguese"``, ``"português"`` → ``"pt"``; ``"iw"`` → ``"he"``;
    ``"jv"`` → ``"jw"``. Case and surrounding spaces do not matter. Raises ConfigError (field
    ``language``) naming the value when it is no language Whisper knows, with the valid codes.
    """
    import langcodes

    text = str(value).strip()
    found: list[str] = []
    try:
        tag = langcodes.Language.get(text.replace("_", "-"), normalize=True)
    except (langcodes.tag_parser.LanguageTagError, ValueError):
        tag = None
    if tag is not None and tag.language:
        found.append(tag.language)
        code = _whisper_code(tag)
        if code:
            return code
    try:
        named = langcodes.find(text)
    except (LookupError, ValueError):
        named = None
    if named is not None and named.language:
        if text.casefold() in (named.display_name().casefold(), named.autonym().casefold()):
            found.append(named.language)
        code = _whisper_code(named)
        if code:
            return code
    raise ConfigError(_unknown_message(text, found), field="language")


def parse_languages(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Whisper codes of a comma (or semicolon) list, or of an iterable of names; duplicates dropped.

    ``None``, ``""`` and ``"auto"`` give ``()`` (detect freely). ``"pt-BR, en-US"`` → ``("pt", "en")``;
    ``["Portuguese", "pt_PT"]`` → ``("pt",)``. Raises ConfigError naming the first unknown entry.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        text = value
        for separator in SEPARATORS[1:]:
            text = text.replace(separator, SEPARATORS[0])
        items = text.split(SEPARATORS[0])
    else:
        items = [str(item) for item in value]
    if len(items) == 1 and items[0].strip().lower() in DETECT:
        return ()
    codes: list[str] = []
    for item in items:
        if not item.strip():
            continue
        code = whisper_language(item)
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def canonical_language(value: str | Iterable[str] | None) -> str | None:
    """The language setting as perftel passes it on: ``"pt"`` (pinned), ``"en,pt"`` (detected among
    these), or ``None`` (detected freely). Raises ConfigError for an unknown language."""
    codes = parse_languages(value)
    return ",".join(codes) if codes else None


def language_name(code: str) -> str:
    """English name of a Whisper code: ``"pt"`` → ``"Portuguese"``, ``"jw"`` → ``"Javanese"``."""
    import langcodes

    return langcodes.Language.get(_FROM_WHISPER.get(code, code)).display_name()


def describe_languages(value: str | Iterable[str] | None) -> str:
    """A short human reading of a language setting: ``"Portuguese (pt), pinned"``, ``"detected among
    Portuguese (pt) and English (en)"`` or ``"detected per call"``. Raises ConfigError like the others."""
    codes = parse_languages(value)
    names = [f"{language_name(code)} ({code})" for code in codes]
    if not names:
        return "detected per call"
    if len(names) == 1:
        return f"{names[0]}, pinned"
    return f"detected among {', '.join(names[:-1])} and {names[-1]}"


def valid_choices() -> str:
    """Whisper's codes, for error messages."""
    return ", ".join(WHISPER_LANGUAGES)


def _whisper_code(tag) -> str | None:  # noqa: ANN001 - langcodes.Language
    for candidate in (tag.language, tag.prefer_macrolanguage().language):
        candidate = _TO_WHISPER.get(candidate, candidate)
        if candidate in _KNOWN:
            return candidate
    return None


def _unknown_message(text: str, found: list[str]) -> str:
    import langcodes

    known = [
        code
        for code in found
        if langcodes.Language.get(code).is_valid()
        and not langcodes.Language.get(code).display_name().startswith("Unknown")
    ]
    if known:
        name = langcodes.Language.get(known[-1]).display_name()
        why = f"{text!r} is {name} ({known[-1]}), which Whisper cannot transcribe"
    else:
        why = f"{text!r} is not a language tag, code or name perftel recognises"
    return (
        f"Unknown language: {why}. Use a Whisper code (e.g. pt, en, es), a tag such as pt-BR or en-US, a "
        f"language name such as Portuguese, or a comma list such as 'pt,en'. Whisper's codes: {valid_choices()}."
    )
