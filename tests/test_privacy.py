"""Personal-data detection and redaction (issue 19): the text set's targets, the rules, the policy."""

from __future__ import annotations

import pytest

from perftel.errors import ConfigError
from perftel.models import TranscriptionResult, TranscriptionSegment, Word
from perftel.privacy import PrivacyPolicy, Utterance, find_personal_data, redact_transcript
from perftel.privacy.numbers import mark_numbers, tokenize
from perftel.privacy.policy import company_policy, policy_from_section, transcribe_options
from tests.privacy_cases import score, text_set


def _find(texts, language="pt", speakers=None, region="BR"):
    speakers = speakers or ["customer"] * len(texts)
    utterances = [
        Utterance(t, s, 2.0 * i, 2.0 * i + 1.5) for i, (t, s) in enumerate(zip(texts, speakers, strict=True))
    ]
    return [(f.kind, f.by) for f in find_personal_data(utterances, language=language, region=region)]


@pytest.mark.parametrize("seed", [19, 7])
def test_text_set_meets_the_targets_per_kind(seed):
    cases = text_set(seed=seed)
    assert sum(bool(c.decoys) for c in cases) == 400  # decoys are part of the set
    result = score(cases)
    for kind, row in result.items():
        assert row["tp"] + row["fn"] == 240, kind
        assert row["recall"] >= 0.99, (kind, row)
        assert row["precision"] >= 0.98, (kind, row)


def test_spoken_digits_become_digits_pt_and_en():
    tokens = mark_numbers(tokenize("quatro cinco um dois, vinte e nove, meia"), "pt")
    assert "".join(t.digits or "" for t in tokens if t.kind == "num") == "4512296"
    tokens = mark_numbers(tokenize("four oh five double seven sixty-four"), "en")
    assert "".join(t.digits or "" for t in tokens if t.kind == "num") == "4057764"
    tokens = mark_numbers(
        tokenize("5 mil quinhentos e oitenta e quatro, 9 mil duzentos"), "pt"
    )  # Whisper's mix
    assert "".join(t.digits or "" for t in tokens if t.kind == "num") == "55849200"
    tokens = mark_numbers(
        tokenize("nove mil dos centos e noventa e quatro, mil quatro centos e sessenta"), "pt"
    )
    assert "".join(t.digits or "" for t in tokens if t.kind == "num") == "92941460"
    tokens = mark_numbers(tokenize("é um cliente"), "pt")  # a lone "um" is an article
    assert all(t.kind == "word" for t in tokens)


def test_whisper_nao_me_for_nove_between_digits():
    tokens = mark_numbers(tokenize("um um, não me, um um"), "pt")
    assert "".join(t.digits or "" for t in tokens if t.kind == "num") == "11911"
    assert all(t.kind == "word" for t in mark_numbers(tokenize("não me ligue"), "pt"))


def test_checksums_confirm_and_decoys_stay():
    assert _find(["meu CPF é 111.444.777-35"]) == [("cpf", "checksum")]
    assert _find(["111.444.777-36"]) == []  # fails the CPF check, no cue
    assert _find(["4111 1111 1111 1111"]) == [("card", "checksum")]
    assert _find(["a referência é 4111 1111 1111 1112"]) == []  # fails Luhn
    assert _find(["o CNPJ 11.222.333/0001-81"]) == [("cnpj", "checksum")]
    assert _find(["o pedido 48213 chega às 14:30 e custa R$ 1.234,56"]) == []


def test_context_catches_a_garbled_card_and_a_cue_from_the_agent():
    # a 16-digit card transcribed with 15 digits fails Luhn: the cue still makes it a card
    assert _find(["o número do cartão é 411111111111111"]) == [("card", "context")]
    assert _find(["411111111111111"]) == []
    # the agent asks, the customer answers with a garbled CPF (10 digits)
    assert _find(["qual o seu CPF?", "1114447773"], speakers=["agent", "customer"]) == [("cpf", "context")]
    # Whisper's "CNPK" / "CMDK" for CNPJ still cue a garbled CNPJ (15 digits, fails its check)
    assert _find(["And the company CNPK?", "783874090000108"], "en", ["agent", "customer"]) == [
        ("cnpj", "context")
    ]
    # the customer's turn goes on around the agent's question: the question still gives the context
    texts = ["quero atualizar meu cadastro", "qual o seu CPF?", "1114447773"]
    assert _find(texts, speakers=["customer", "agent", "customer"]) == [("cpf", "context")]
    # an order number right after a cue for something else keeps its negative cue
    assert _find(["meu cartão deu problema no pedido 5512345678"]) == []


def test_digits_split_over_segments_of_one_speaker_with_an_interjection():
    texts = [
        "meu CPF é cento e onze, quatrocentos e quarenta e quatro,",
        "uhum",
        "setecentos e setenta e sete, trinta e cinco",
    ]
    assert _find(texts, speakers=["customer", "agent", "customer"]) == [("cpf", "checksum")]


def test_emails_written_and_spoken():
    assert _find(["meu e-mail é joao ponto silva arroba exemplo ponto com ponto br"]) == [
        ("email", "pattern")
    ]
    assert _find(["my email is john dot smith at example dot com"], language="en") == [("email", "pattern")]
    assert _find(["write to mary.jones@example.org today"], language="en") == [("email", "pattern")]
    assert _find(["we met at home at noon"], language="en") == []
    # Whisper lost the "at": after an e-mail cue a dotted name ending in a domain is still an address
    assert _find(["My email is Maria.Souzaatgmail.com. My card is 4111 1111 1111 1111."], language="en") == [
        ("email", "pattern"),
        ("card", "checksum"),
    ]
    assert _find(["mande para ana@empresa.com.br. Obrigado"]) == [("email", "pattern")]
    # what Whisper garbled between the cue and the address belongs to the address
    utterances = [Utterance("My email is dot dot smith and example dot com", "customer")]
    (finding,) = find_personal_data(utterances, language="en")
    assert utterances[0].text[finding.spans[0].start :] == "dot dot smith and example dot com"
    assert _find(["the site is www.example.com"], language="en") == []


def test_phone_with_the_company_region_and_with_a_country_code():
    assert _find(["meu celular é (11) 98765-4321"]) == [("phone", "checksum")]
    assert _find(
        ["call me at plus one four one five five five five two six seven one"], language="en", region=None
    ) == [("phone", "checksum")]


def _result():
    words = [
        Word(0.0, 0.4, " meu", 0.9),
        Word(0.4, 0.7, " CPF", 0.9),
        Word(0.7, 0.8, " é", 0.9),
        Word(0.8, 1.5, " 111.444.777-35", 0.8),
        Word(1.5, 1.9, " obrigado", 0.9),
    ]
    segments = [
        TranscriptionSegment(
            0.0, 1.9, "meu CPF é 111.444.777-35 obrigado", channel=1, speaker="customer", words=words
        ),
        TranscriptionSegment(2.0, 3.0, "o telefone é 11 98765", channel=1, speaker="customer"),
        TranscriptionSegment(3.2, 4.0, "4321", channel=1, speaker="customer"),
    ]
    return TranscriptionResult(
        "r1", " ".join(s.text for s in segments), segments, "pt", 4.0, "base", channels=2
    )


def test_redaction_puts_typed_placeholders_and_keeps_times():
    original = _result()
    done = redact_transcript(original, PrivacyPolicy(region="BR"))
    first, second, third = done.result.segments
    assert first.text == "meu CPF é [CPF] obrigado"
    assert [w.word for w in first.words] == [" meu", " CPF", " é", " [CPF]", " obrigado"]
    assert (first.words[3].start, first.words[3].end) == (0.8, 1.5)
    assert second.text == "o telefone é [PHONE]" and third.text == "[PHONE]"
    assert [(s.start, s.end) for s in done.result.segments] == [(s.start, s.end) for s in original.segments]
    assert done.pii_counts == {"card": 0, "cpf": 1, "cnpj": 0, "phone": 1, "email": 0}
    assert done.time_spans == [(0.8, 1.5), (2.0, 3.0), (3.2, 4.0)]
    assert "111" not in done.result.text and "98765" not in done.result.text
    assert original.segments[0].text.endswith("35 obrigado")  # the input is not changed


def test_policy_kinds_and_off():
    done = redact_transcript(_result(), PrivacyPolicy(kinds=("phone",), region="BR"))
    assert "[CPF]" not in done.result.text and "[PHONE]" in done.result.text
    assert done.pii_counts == {"phone": 1}
    untouched = redact_transcript(_result(), PrivacyPolicy.off())
    assert untouched.result.text == _result().text and untouched.pii_counts == {}


def test_policy_from_settings_and_unknown_kind(tmp_path):
    assert policy_from_section({}).kinds == ("card", "cpf", "cnpj", "phone", "email")
    assert policy_from_section({"enabled": False}).kinds == ()
    assert policy_from_section({"kinds": ["EMAIL", "cpf"], "audio": True}) == PrivacyPolicy(
        ("cpf", "email"), True
    )
    with pytest.raises(
        ConfigError, match=r"unknown kind 'passport'.*Valid kinds: card, cpf, cnpj, phone, email"
    ):
        policy_from_section({"kinds": ["card", "passport"]})
    with pytest.raises(ConfigError, match="unknown key 'kind'"):
        policy_from_section({"kind": ["card"]})
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "settings.toml").write_text('country = "BR"\n[privacy]\nkinds = ["cpf"]\n', "utf-8")
    assert company_policy("acme", tmp_path) == PrivacyPolicy(("cpf",), False, "BR")


def test_audio_policy_asks_the_transcriber_for_word_times(tmp_path):
    (tmp_path / "acme").mkdir()
    assert transcribe_options("acme", tmp_path) is None
    (tmp_path / "acme" / "settings.toml").write_text("[privacy]\naudio = true\n", "utf-8")
    assert transcribe_options("acme", tmp_path).word_timestamps is True
