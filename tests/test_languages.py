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
    assert describe_languages("pt-BR,en-US") == "detected among Portuguese (pt) and English (en)"
    assert (
        describe_languages("pt,en,Spanish") == "detected among Portuguese (pt), English (en) and Spanish (es)"
    )
    assert describe_languages("português") == "Portuguese (pt), pinned"
    assert describe_languages(None) == "detected per call"


# -- every entry point checks the language before any work ---------------------------------------------


@pytest.mark.parametrize(("spelling", "code"), [("pt-BR", "pt"), ("Português", "pt"), ("pt-BR, en-US", "pt,en"),
                                                ("English;Spanish", "en,es"), ("", None)])  # fmt: skip
def test_cli_language_option_is_read_up_front(spelling: str, code: str | None) -> None:
    from perftel.cli import build_parser

    for command in (["transcribe", "--dir", "calls"], ["run", "--days", "1"], ["demo"]):
        assert build_parser().parse_args([*command, "--language", spelling]).language == code


@pytest.mark.parametrize("spelling", ["klingon", "pt-XX-bogus!", "en,xx", "brazilian"])
def test_cli_unknown_language_exits_2_with_the_choices(
    spelling: str, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    from perftel.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["transcribe", "--dir", str(tmp_path), "--language", spelling])
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert "argument --language" in err and "Unknown language" in err and "pt, ro, ru" in err


def test_python_api_rejects_unknown_languages_at_once(tmp_path) -> None:
    from perftel.pipeline import run_pipeline
    from perftel.transcribe import TranscribeOptions, Transcriber, WhisperSettings, create_transcriber

    assert TranscribeOptions(language="Portuguese, English").language == "pt,en"
    assert TranscribeOptions(language="auto").language is None
    assert Transcriber(WhisperSettings("base").with_options(language="pt_BR")).options.language == "pt"
    chosen = WhisperSettings.from_env(model="base", language=["en-US", "es-MX"])
    assert create_transcriber(chosen).options.language == "en,es"
    for spelling in ("klingon", "xx", "pt,nonsense"):
        with pytest.raises(ConfigError, match="Unknown language"):
            TranscribeOptions(language=spelling)
        with pytest.raises(ConfigError, match="Unknown language"):
            WhisperSettings.from_env(model="base", language=spelling)
        with pytest.raises(ConfigError, match="Unknown language"):  # before the file is even looked at
            Transcriber(WhisperSettings("base")).transcribe(tmp_path / "missing.wav", language=spelling)
        with pytest.raises(ConfigError, match="Unknown language") as caught:
            run_pipeline(
                "goto_connect",
                "acme",
                days=1,
                language=spelling,
                data_dir=tmp_path / "data",
                base_url="http://127.0.0.1:9",
                credentials={},
            )
        assert repr(spelling.split(",")[-1]) in str(caught.value)
    assert not (tmp_path / "data").exists()  # nothing was started


def test_notebook_language_field_explains_itself() -> None:
    from perftel.notebook.options import RunOptions

    options = RunOptions(language="pt-BR")
    assert "Portuguese (pt), pinned" in options.language_note.value and options.language_code == "pt"
    for spelling, meaning in (("Português, English", "among Portuguese (pt) and English (en)"),
                              ("", "detected per call"), ("es_MX", "Spanish (es), pinned")):  # fmt: skip
        options.language.value = spelling
        assert options.validate() == "" and meaning in options.language_note.value
    for spelling in ("klingon", "en,xx", "brazilian"):
        options.language.value = spelling
        assert "Unknown language" in options.validate()
        assert "Unknown language" in options.language_note.value and "#b00020" in options.language_note.value


def test_notebook_run_refuses_an_unknown_language(tmp_path) -> None:
    from perftel import notebook as nb
    from perftel.credentials import CredentialStore

    store = CredentialStore(tmp_path / "config", secret_key="test-passphrase")
    form = nb.SyncForm(company="acme", store=store, data_dir=tmp_path / "data", language="klingon")
    assert form.run() is None
    assert form.error.startswith("Fix the language: Unknown language")


# -- language_outside_list travels with the result: JSON on disk, tables, summary -------------------------


def _result(recording_id: str, language: str, outside: bool):
    from perftel.models import TranscriptionResult, TranscriptionSegment

    segment = TranscriptionSegment(start=0.0, end=1.0, text="hola")
    return TranscriptionResult(
        recording_id, "hola", [segment], language, 1.0, "base", language_outside_list=outside
    )


def test_outside_list_flag_on_disk_in_tables_and_summary(tmp_path) -> None:
    import json

    from perftel.models import PipelineResult, TranscriptionResult
    from perftel.notebook.charts import load_tables
    from perftel.storage import CompanyStorage

    storage = CompanyStorage("acme", tmp_path).ensure()
    results = [_result("r1", "es", True), _result("r2", "pt", False), _result("r3", "fr", True)]
    for result in results:
        storage.save_transcription(result, prefix="goto")
    legacy = json.loads((storage.transcriptions_dir / "goto_r2.json").read_text())
    del legacy["language_outside_list"]  # a transcript written before the flag existed
    (storage.transcriptions_dir / "goto_r0.json").write_text(json.dumps({**legacy, "recording_id": "r0"}))
    on_disk = json.loads((storage.transcriptions_dir / "goto_r1.json").read_text())
    assert on_disk["language_outside_list"] is True and on_disk["language"] == "es"
    assert TranscriptionResult.from_dict(on_disk).language_outside_list is True
    assert TranscriptionResult.from_dict(legacy).language_outside_list is False
    frame = storage.transcripts_frame().set_index("recording_id")
    assert frame["language_outside_list"].to_dict() == {"r0": False, "r1": True, "r2": False, "r3": True}
    tables = load_tables("acme", tmp_path).transcripts.set_index("recording_id")
    assert tables["language_outside_list"].to_dict() == {"r0": False, "r1": True, "r2": False, "r3": True}
    summary = PipelineResult("acme", "goto_connect", transcribed=results).summary()
    assert "outside the language list: 2" in summary and "r1 (es)" in summary and "r3 (fr)" in summary
    assert "outside" not in PipelineResult("acme", "goto_connect", transcribed=results[1:2]).summary()
