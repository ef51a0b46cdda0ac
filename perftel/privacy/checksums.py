"""The checks a run of digits passes, per kind of personal data.

* card: 13–19 digits, Luhn-valid (``stdnum.luhn``, ISO/IEC 7812), starting with a payment-network digit
  2–6;
* CPF: 11 digits with valid check digits (``stdnum.br.cpf``);
* CNPJ: 14 digits with valid check digits (``stdnum.br.cnpj``);
* phone: 8–15 digits that ``phonenumbers.is_valid_number`` accepts, read in the company's country
  (``region``) or as an international number (E.164).

python-stdnum and phonenumbers are imported when called.
"""

from __future__ import annotations


def phone_valid(digits: str, region: str | None) -> bool:
    """True when ``digits`` (8–15 of them) are a valid phone number in ``region`` (ISO 3166 alpha-2,
    e.g. "BR"; None: only as an international number with its country code)."""
    import phonenumbers

    if not 8 <= len(digits) <= 15:
        return False
    attempts = [(digits, region)] if region else []
    attempts.append(("+" + digits, None))
    for text, default in attempts:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(text, default)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def checksum_kinds(digits: str, region: str | None = None) -> list[str]:
    """The kinds whose check ``digits`` passes, strongest first (CNPJ, CPF, card, phone); ``region`` as
    in :func:`phone_valid`."""
    from stdnum import luhn
    from stdnum.br import cnpj, cpf

    kinds = []
    if len(digits) == 14 and cnpj.is_valid(digits):
        kinds.append("cnpj")
    if len(digits) == 11 and cpf.is_valid(digits):
        kinds.append("cpf")
    if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn.is_valid(digits):
        kinds.append("card")
    if phone_valid(digits, region):
        kinds.append("phone")
    return kinds
