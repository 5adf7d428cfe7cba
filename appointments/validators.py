"""Patterns every input path shares (booking, contact form, API): a leaf module anything may import."""

import re

# Any control character (header injection lives here); the message may keep its line breaks.
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
CONTROL_EXCEPT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\u2028\u2029]")
PHONE = re.compile(r"^[0-9+()\-. ]{5,30}$")
