"""XML from outside (WeCom callbacks, WeChat Pay notifications), read safely: UTF-8 only, no DTD and no
entity of any kind, bounded in size.

The byte checks come first and decide alone: a body in UTF-16 or UTF-32 (with or without a byte-order
mark), or declaring an encoding other than UTF-8, is refused before a parser could switch to it; so is any
markup declaration (``<!DOCTYPE``, ``<!ENTITY`` …), which in UTF-8 can only appear as those ASCII bytes.
The parser behind them is configured to load no DTD, resolve no entity and fetch nothing, and a document
that still shows a DTD is refused: two locks, each enough alone.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

MAX_BYTES = 256 * 1024

_OTHER_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DECLARED = re.compile(rb"[ \t\r\n]*<\?xml[^>]*?encoding[ \t\r\n]*=[ \t\r\n]*[\"']([^\"']*)[\"']")
_UTF8_NAMES = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
# a markup declaration: "<!" and a letter; "<![CDATA[" and "<!--" are not declarations
_MARKUP_DECLARATION = re.compile(rb"<![A-Za-z]")


class XmlRefused(ValueError):
    """Not XML we read: another encoding, a DTD, too large, or not well-formed."""


def check(raw: bytes, max_bytes: int = MAX_BYTES) -> bytes:
    """``raw`` without a UTF-8 byte-order mark, once it is known to be UTF-8 XML without any DTD."""
    if len(raw) > max_bytes:
        raise XmlRefused(f"XML larger than {max_bytes} bytes")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith(_OTHER_BOMS) or b"\x00" in raw:
        raise XmlRefused("only UTF-8 XML is accepted")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlRefused("only UTF-8 XML is accepted") from exc
    declared = _DECLARED.match(raw)
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        raise XmlRefused("only UTF-8 XML is accepted")
    if _MARKUP_DECLARATION.search(raw):
        raise XmlRefused("XML with a DTD is not accepted")
    return raw


def parse(raw: bytes, max_bytes: int = MAX_BYTES) -> etree._Element:
    """The root element of ``raw`` (checked by ``check``); comments and processing instructions dropped."""
    raw = check(raw, max_bytes)
    # one parser per call: lxml parsers must not be shared between threads
    parser = etree.XMLParser(encoding="utf-8", resolve_entities=False, load_dtd=False, no_network=True,
                             dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlRefused("malformed XML") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused("XML with a DTD is not accepted")
    return root
