"""The built-in recognizers, one module each, in the order the analyzer runs them."""

from __future__ import annotations

from .base import Context, Pattern, Recognizer
from .birthdate import BirthdateRecognizer
from .bsn import BsnRecognizer
from .email import EmailRecognizer
from .iban import IbanRecognizer
from .ip import IpRecognizer
from .names import NameRecognizer
from .phone import PhoneRecognizer
from .plate import PlateRecognizer
from .postcode import PostcodeRecognizer
from .special import SpecialRecognizer
from .url import UrlRecognizer

BUILTIN = (EmailRecognizer, UrlRecognizer, PhoneRecognizer, BsnRecognizer, IbanRecognizer,
           PostcodeRecognizer, PlateRecognizer, BirthdateRecognizer, IpRecognizer, NameRecognizer,
           SpecialRecognizer)

__all__ = ["BUILTIN", "Context", "Pattern", "Recognizer", "BirthdateRecognizer", "BsnRecognizer",
           "EmailRecognizer", "IbanRecognizer", "IpRecognizer", "NameRecognizer", "PhoneRecognizer",
           "PlateRecognizer", "PostcodeRecognizer", "SpecialRecognizer", "UrlRecognizer"]
