"""A company's vocabulary: terms (products, plans, places, tracker phrases) Whisper should expect.

Read from the ``[vocabulary]`` table of ``<data_dir>/<company>/settings.toml``::

    [vocabulary]
    terms = ["Vivo Fibra", "Plano Controle"]   # inline, or
    file = "vocabulary.txt"                    # one term per line, UTF-8, relative to the company folder

Both may be given (the file's terms follow the inline ones; duplicates are dropped, order kept; lines
starting with ``#`` are comments). The terms reach faster-whisper as ``hotwords`` for every window of
every call of that company (see :class:`perftel.transcribe.TranscribeOptions`).

Bad input never stops transcription: a file that is missing, empty, not UTF-8, or whose terms do not
fit Whisper's prompt (:data:`MAX_PROMPT_TOKENS`) gives a :class:`VocabularyWarning` naming the file and
the fix, and the calls are transcribed without the vocabulary (``TranscriptionResult.decoding`` records
``vocabulary_problem``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Whisper's prompt (previous text or hotwords) keeps at most ``max_length // 2 - 1`` = 448 // 2 - 1
#: tokens; faster-whisper silently cuts longer ones (``WhisperModel.get_prompt``).
MAX_PROMPT_TOKENS = 223
#: the separator between terms in the prompt text
SEPARATOR = ", "


class VocabularyWarning(UserWarning):
    """A vocabulary that cannot be used; the message names its source and the fix."""


@dataclass(frozen=True)
class Vocabulary:
    """Terms in order (no duplicates) and where they came from (a file path or ``settings.toml: terms``)."""

    terms: tuple[str, ...]
    source: str

    @property
    def prompt(self) -> str:
        """The text given to Whisper: the terms joined by ``", "``."""
        return SEPARATOR.join(self.terms)


def estimate_tokens(text: str) -> int:
    """A conservative upper bound of Whisper's BPE tokens for ``text`` (no tokenizer needed).

    Byte-level BPE never produces more tokens than UTF-8 bytes, and Whisper's GPT-2-style vocabulary
    merges common letter pairs; we count one token per 2 bytes of each word plus one per word (the leading
    space and a ragged end), which over-counts English and Portuguese product names measured with the
    ``base`` tokenizer (ratio real/estimate 0.4-0.9). Used only when the model's tokenizer is not at hand.
    """
    return sum(len(word.encode("utf-8")) // 2 + 1 for word in text.split())


def check_length(
    vocabulary: Vocabulary, count_tokens: Callable[[str], int] | None = None, limit: int = MAX_PROMPT_TOKENS
) -> str | None:
    """``None`` when the vocabulary fits Whisper's prompt, else the problem (naming the source and the fix).

    ``count_tokens`` is the model's tokenizer (e.g. ``lambda t: len(whisper.hf_tokenizer.encode(t).ids)``);
    without it :func:`estimate_tokens` is used. The prompt is encoded as faster-whisper does: ``" " + text``.
    """
    tokens = count_tokens(" " + vocabulary.prompt) if count_tokens else estimate_tokens(vocabulary.prompt)
    if tokens <= limit:
        return None
    return (
        f"Vocabulary {vocabulary.source} is too long for Whisper's prompt: {len(vocabulary.terms)} terms are "
        f"{tokens} tokens, at most {limit} fit. Keep the terms the transcripts miss most; transcribing without it."
    )


def parse_terms(text: str) -> tuple[str, ...]:
    """One term per line; blank lines and ``#`` comments skipped; duplicates (case-insensitive) dropped."""
    seen: set[str] = set()
    terms = []
    for line in text.splitlines():
        term = " ".join(line.split())
        if term and not term.startswith("#") and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return tuple(terms)


def read_vocabulary(section: dict, folder: Path | None = None) -> tuple[Vocabulary | None, str | None]:
    """The vocabulary of a ``[vocabulary]`` table and the problem that kept it (or part of it) out.

    Returns ``(vocabulary or None, problem or None)``; never raises for bad input. The prompt length is
    checked later with the model's own tokenizer (:func:`check_length`, in the transcriber).
    """
    inline = section.get("terms", ())
    file = section.get("file")
    problem = None
    if isinstance(inline, str):
        inline = [inline]
    if not isinstance(inline, (list, tuple)) or not all(isinstance(t, str) for t in inline):
        return (
            None,
            'settings.toml [vocabulary] terms must be a list of strings, e.g. terms = ["Vivo Fibra"].',
        )
    terms = list(parse_terms("\n".join(inline)))
    sources = ["settings.toml [vocabulary] terms"] if terms else []
    if file is not None:
        path = Path(str(file)).expanduser()
        if not path.is_absolute() and folder is not None:
            path = folder / path
        try:
            raw = path.read_bytes()
            from_file = parse_terms(raw.decode("utf-8-sig"))
        except FileNotFoundError:
            problem = f"Vocabulary file {path} does not exist. Create it (one term per line) or fix [vocabulary] file."
        except UnicodeDecodeError as exc:
            problem = (
                f"Vocabulary file {path} is not UTF-8 (byte {exc.start}). Save it as UTF-8; "
                "transcribing without it."
            )
        except OSError as exc:
            problem = f"Vocabulary file {path} cannot be read ({exc.strerror}); transcribing without it."
        else:
            if not from_file:
                problem = f"Vocabulary file {path} is empty. Put one term per line; transcribing without it."
            else:
                sources.append(str(path))
                terms += [t for t in from_file if t.casefold() not in {s.casefold() for s in terms}]
        if problem:
            return None, problem
    if not terms:
        return None, None
    return Vocabulary(tuple(terms), " + ".join(sources)), None


def company_vocabulary(
    company_id: str, data_dir: str | Path | None = None
) -> tuple[Vocabulary | None, str | None]:
    """The company's vocabulary (or None) and the problem with it (or None), warning about the problem.

    A settings file that is not valid TOML still raises ``ConfigError`` (it breaks every setting).
    """
    from perftel.company import company_settings

    settings = company_settings(company_id, data_dir)
    folder = settings.path.parent if settings.path else None
    vocabulary, problem = read_vocabulary(settings.section("vocabulary"), folder)
    if problem:
        warn(problem)
    return vocabulary, problem


def warn(problem: str) -> None:
    """Log and ``warnings.warn`` a vocabulary problem as a :class:`VocabularyWarning`."""
    log.warning("%s", problem)
    warnings.warn(problem, VocabularyWarning, stacklevel=3)


#: a run of this many vocabulary terms, in the prompt's order, inside a transcript is the prompt read back
ECHO_TERMS = 3


def _fold(word: str) -> str:
    import unicodedata

    word = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in word if c.isalnum() and not unicodedata.combining(c))


def prompt_echo(words: list[str], prompt: str, min_terms: int = ECHO_TERMS) -> set[int]:
    """Indices of ``words`` that read the prompt back: a run covering ``min_terms`` or more whole terms of
    ``prompt`` (``", "``-separated) in its order, case, accents and punctuation ignored.

    Whisper given hotwords sometimes writes them out over unclear audio ("…, Portabilidade, Boleto Fácil,
    Ribeirão Preto,"): measured on espeak-ng Portuguese calls in ``benchmarks/bench_vocabulary.py``. A caller
    saying three of the company's terms in exactly the vocabulary's order is rare; such words are dropped.
    """
    import difflib

    term_of: list[int] = []  # for each prompt word, the index of its term
    prompt_words: list[str] = []
    for index, term in enumerate(t for t in prompt.split(SEPARATOR.strip()) if t.strip()):
        for word in term.split():
            if _fold(word):
                prompt_words.append(_fold(word))
                term_of.append(index)
    mine = [_fold(w) for w in words]
    keep = [i for i, w in enumerate(mine) if w]  # punctuation-only words are skipped when matching
    folded = [mine[i] for i in keep]
    out: set[int] = set()
    matcher = difflib.SequenceMatcher(None, folded, prompt_words, autojunk=False)
    for block in matcher.get_matching_blocks():
        if not block.size:
            continue
        terms = term_of[block.b : block.b + block.size]
        whole = [t for t in set(terms) if terms.count(t) == term_of.count(t)]
        if len(whole) >= min_terms:
            out.update(keep[block.a : block.a + block.size])
    return out
