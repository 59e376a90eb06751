"""Finishing a rendered email for mail clients: CSS inlined into ``style`` attributes (many clients drop
``<style>`` blocks), the preheader as the body's hidden first element, and a plain-text part made from the HTML
when the template has none.

Inlining (``css-inline``) keeps ``@media`` rules in a ``<style>`` block for the clients that honour them and
never fetches anything: linked stylesheets are dropped, so a template brings its CSS in ``<style>``.
"""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

_BODY = re.compile(r"<body\b[^>]*>", re.I)
_DOCTYPE = re.compile(r"^\s*(<!doctype[^>]*>)", re.I)
PREHEADER_STYLE = (
    "display:none;font-size:1px;color:#ffffff;line-height:1px;max-height:0px;max-width:0px;opacity:0;"
    "overflow:hidden;mso-hide:all"
)
# Fills the inbox preview after the preheader, so the body's first words do not show there.
PREHEADER_PADDING = "&#847;&zwnj;&nbsp;" * 40

_SKIPPED = frozenset({"head", "style", "script", "title", "template", "noscript"})
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr"})
_LINE = frozenset(
    {"div", "tr", "li", "section", "article", "header", "footer", "center", "dl", "dt", "dd", "address", "main"}
    | {"nav", "aside", "figure", "figcaption", "form", "fieldset", "tbody", "thead", "tfoot"}
)
_CELL = frozenset({"td", "th"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"})


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules moved into ``style`` attributes (``@media`` rules kept)."""
    import css_inline  # loaded on first use: no cold start pays for it

    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    doctype = _DOCTYPE.match(html)
    inlined = inliner.inline(html)
    if doctype and not _DOCTYPE.match(inlined):
        inlined = doctype.group(1) + inlined
    return inlined


def with_preheader(html: str, preheader: str | None) -> str:
    """``html`` with ``preheader`` (plain text, escaped here) as the body's first, hidden element."""
    if not preheader:
        return html
    hidden = f'<div style="{PREHEADER_STYLE}">{htmllib.escape(preheader)}{PREHEADER_PADDING}</div>'
    body = _BODY.search(html)
    if body is None:
        return hidden + html
    return html[: body.end()] + hidden + html[body.end() :]


def finish_html(html: str, preheader: str | None) -> str:
    """The HTML part as sent: CSS inlined, then the preheader."""
    return with_preheader(inline_css(html), preheader)


class _TextMaker(HTMLParser):
    """Text in reading order: blocks on their own lines, paragraphs apart, list items with a dash, links with
    their address after the words, images by their alt text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.breaks = 0  # newlines owed before the next text
        self.skipping: list[str] = []
        self.pre = 0
        self.links: list[tuple[str, int]] = []  # href, length of the output when the link opened

    def _owe(self, newlines: int) -> None:
        if self.out:
            self.breaks = max(self.breaks, newlines)

    def _write(self, text: str) -> None:
        if self.breaks:
            self.out.append("\n" * self.breaks)
            self.breaks = 0
        self.out.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping or tag in _SKIPPED:
            if tag not in _VOID:
                self.skipping.append(tag)
            return
        found = dict(attrs)
        if tag == "br":
            self._write("\n")
        elif tag in _PARAGRAPH:
            self._owe(2)
            self.pre += tag == "pre"
        elif tag in _LINE:
            self._owe(1)
            if tag == "li":
                self._write("- ")
        elif tag in _CELL:
            if self.out and not self.out[-1].endswith(("\n", " ")) and not self.breaks:
                self._write(" ")
        elif tag == "a":
            self.links.append((found.get("href") or "", len("".join(self.out))))
        elif tag == "img" and (alt := (found.get("alt") or "").strip()):
            self._write(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag in self.skipping:
                while self.skipping and self.skipping.pop() != tag:
                    pass
            return
        if tag in _PARAGRAPH:
            self._owe(2)
            self.pre -= tag == "pre" and self.pre > 0
        elif tag in _LINE:
            self._owe(1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            words = "".join(self.out)[start:].strip()
            if href.lower().startswith(("http://", "https://", "mailto:")) and href not in (words, f"mailto:{words}"):
                shown = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
                self._write(f" ({shown})" if words else shown)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
            after_space = not self.out or self.breaks or self.out[-1].endswith(("\n", " "))
            if after_space:
                data = data.lstrip()
            if not data:
                return
        self._write(data)

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self.out).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """The plain-text part for an HTML email."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    return maker.text()
