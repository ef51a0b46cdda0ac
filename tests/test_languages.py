"""Language spellings users type, mapped to Whisper's codes before any work."""

from __future__ import annotations

import pytest

from perftel.errors import ConfigError
from perftel.languages import (
    WHISPER_LANGUAGES,
    canonical_language,
    describe_languages,
    language_name,
    parse_languages,
    whisper_language,
)


def test_the_code_list_is_faster_whispers_own() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert tuple(_LANGUAGE_CODES) == WHISPER_LANGUAGES


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        # BCP-47 tags and locales (any case, dash or underscore)
        ("pt-BR", "pt"), ("pt_BR", "pt"), ("PT-br", "pt"), ("pt-PT", "pt"), ("en-US", "en"), ("en_GB", "en"),
        ("es-419", "es"), ("zh-Hant-TW", "zh"), ("sr-Latn", "sr"), (" pt ", "pt"),
        # Whisper / ISO 639-1 codes, ISO 639-2/3 codes, deprecated codes Whisper or users still use
        ("pt", "pt"), ("EN", "en"), ("por", "pt"), ("eng", "en"), ("spa", "es"), ("deu", "de"), ("ger", "de"),
        ("iw", "he"), ("jw", "jw"), ("jv", "jw"), ("tl", "tl"), ("fil", "tl"), ("nb", "no"), ("cmn", "zh"),
        ("yue", "yue"), ("haw", "haw"),
        # names in English and in the language itself
        ("English", "en"), ("portuguese", "pt"), ("Português", "pt"), ("PORTUGUÊS", "pt"), ("Spanish", "es"),
        ("español", "es"), ("Castilian", "es"), ("Deutsch", "de"), ("French", "fr"), ("Mandarin", "zh"),
        ("Cantonese", "yue"), ("Hebrew", "he"), ("Javanese", "jw"), ("Tagalog", "tl"), ("Norwegian", "no"),
    ],
)  # fmt: skip
def test_spellings_map_to_whisper_codes(spelling: str, code: str) -> None:
    assert whisper_language(spelling) == code


@pytest.mark.parametrize(
    ("spelling", "named"),
    [("klingon", "Klingon"), ("tlh", "Klingon"), ("ceb", "Cebuano"), ("xx", None), ("pt-XX-nonsense!", None),
     ("brazilian", None), ("en-", None), ("123", None), ("", None)],
)  # fmt: skip
def test_unknown_languages_are_config_errors_naming_them(spelling: str, named: str | None) -> None:
    with pytest.raises(ConfigError) as caught:
        whisper_language(spelling)
    message = str(caught.value)
    assert caught.value.field == "language"
    assert repr(spelling.strip()) in message
    assert "pt, ro, ru" in message and "zh, yue" in message  # the valid choices are listed
    if named:
        assert f"is {named} (" in message and "Whisper cannot transcribe" in message


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("en,pt", ("en", "pt")),
        ("pt-BR, en-US", ("pt", "en")),
        ("Portuguese; English", ("pt", "en")),
        ("pt_BR,pt-PT,por", ("pt",)),  # one language written three ways
        (" en , ,es ", ("en", "es")),
        (["pt-BR", "Spanish"], ("pt", "es")),
        (("en",), ("en",)),
        (None, ()),
        ("", ()),
        ("auto", ()),
        ("  ", ()),
    ],
)
def test_comma_lists(value, codes: tuple[str, ...]) -> None:
    assert parse_languages(value) == codes
    assert canonical_language(value) == (",".join(codes) or None)


@pytest.mark.parametrize("value", ["en,klingon", "pt-BR, xx", ["pt", "nonsense"], "auto,pt"])
def test_a_list_with_one_unknown_entry_fails_whole(value) -> None:
    with pytest.raises(ConfigError, match="Unknown language"):
        parse_languages(value)


def test_names_for_messages() -> None:
    assert language_name("pt") == "Portuguese"
    assert language_name("jw") == "Javanese"
    assert describe_languages("pt-BR,en-US") == "Portuguese (pt) or English (en)"
    assert describe_languages(None) == "detected per call"
