"""Rendering a template for one contact, in jinja2's immutable sandbox.

``render(template, context)`` picks the language version (the contact's ``languageCode``: the same code, then its
base language, else the default), renders every text field, checks what came out, and finishes an email (CSS
inlined, preheader, text part). Any failure is a ``RenderError`` with a reason naming the field and line; nothing
else escapes, so a template that cannot render fails one message, never a batch or a workflow.

The rules (docs/templates.md, "Sandbox"):

* HTML fields (an email's ``html``, an in-app ``html``, Telegram text in ``HTML`` mode) escape every value they
  print; other fields print values as they are (Telegram ``MarkdownV2`` escapes its markup characters).
* A missing name or key prints as empty (``{{ fields.tier }}``), is false in ``{% if %}``, takes
  ``| default(...)`` and loops zero times; ``None`` prints as empty too. Going further into something missing
  (``{{ event.cart.total }}`` without a ``cart``), calling it or computing with it is an error.
* Nothing outside the context is reachable: attributes starting with ``_``, methods that change data and any
  other unsafe access raise (they never print as empty). Work is bounded: ``MAX_STEPS`` lookups, calls and
  ``range`` items per render, repetitions (``"-" * n``) of at most ``MAX_REPEAT`` items, ``MAX_OUTPUT``
  characters per field.
* A name in ``a.b`` notation prefers a mapping's key over a method of the same name: ``{{ event.items }}`` is
  the event's ``items`` property.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from jinja2 import Template as JinjaTemplate
from jinja2 import TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from pydantic import ValidationError

from chalicelib.errors import ErrorDetail
from chalicelib.messaging import mail
from chalicelib.messaging.context import RenderContext
from chalicelib.messaging.templates import (
    DEEP_LINK_KEYS,
    URL_KEYS,
    Content,
    Mode,
    Template,
    deep_link_problem,
    http_url_problem,
)

MAX_STEPS = 1_000_000
MAX_REPEAT = 10_000
MAX_OUTPUT = 1_000_000
MAX_EXPONENT = 64
_MARKDOWN_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")
_SYNTAX = ("{{", "{%", "{#")


class RenderError(Exception):
    """A template that cannot render for this context: ``reason`` says why, ``field`` where (when known)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class Rendered:
    """A template rendered for one contact: the channel's fields as they are sent (an email's ``html`` and
    ``text`` are the final parts)."""

    channel: str
    language: str
    content: dict[str, Any]


# --- the sandbox ----------------------------------------------------------------------------------------------


class _Budget:
    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("orbit_render_budget", default=None)


def _spend(steps: int = 1) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.steps += steps
        if budget.steps > MAX_STEPS:
            raise SecurityError(f"the template does too much work (more than {MAX_STEPS:,} steps)")


def _range(*args: int) -> range:
    found = safe_range(*args)
    _spend(len(found))
    return found


class _KeyOrMethod(Undefined):
    """``a.items`` on a mapping without an ``items`` key: missing (empty, false, loops zero times) unless it is
    called, when it is the mapping's method (``fields.items()``)."""

    __slots__ = ("_method",)
    # what the sandbox and jinja's call look up on a callable before calling it
    unsafe_callable = False
    alters_data = False
    jinja_pass_arg = None

    def __init__(self, method: Callable[..., Any], obj: Any, name: str) -> None:
        super().__init__(obj=obj, name=name)
        self._method = method

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._method(*args, **kwargs)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, stricter: unsafe access raises instead of printing as empty, work is counted,
    and a mapping's keys win over its methods in ``a.b``."""

    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        _spend()
        if isinstance(obj, dict):
            if attribute in obj:
                return obj[attribute]
            found = super().getattr(obj, attribute)
            return _KeyOrMethod(found, obj, attribute) if callable(found) else found
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _spend()
        return super().getitem(obj, argument)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _spend()
        return super().call(context, obj, *args, **kwargs)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__} is not allowed")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                if isinstance(items, str | list | tuple) and isinstance(times, int) and len(items) * times > MAX_REPEAT:
                    raise SecurityError(f"a repetition may make at most {MAX_REPEAT:,} items")
        if (
            operator == "**"
            and isinstance(left, int | float)
            and isinstance(right, int | float)
            and abs(right) > MAX_EXPONENT
            and abs(left) > 1
        ):
            raise SecurityError(f"an exponent may be at most {MAX_EXPONENT}")
        return super().call_binop(context, operator, left, right)


def _printed(value: Any) -> Any:
    return "" if value is None else value


def _markdown(value: Any) -> str:
    return "" if value is None else _MARKDOWN_SPECIAL.sub(r"\\\1", str(value))


@cache
def _environment(mode: Mode) -> _Sandbox:
    finalize: Callable[[Any], Any] = _markdown if mode == "markdownv2" else _printed
    env = _Sandbox(autoescape=mode == "html", finalize=finalize, undefined=Undefined, keep_trailing_newline=True)
    env.globals["range"] = _range
    return env


@lru_cache(maxsize=2048)
def _compiled(mode: Mode, source: str) -> JinjaTemplate:
    return _environment(mode).from_string(source)


def _has_syntax(source: str) -> bool:
    return any(mark in source for mark in _SYNTAX)


# --- errors -------------------------------------------------------------------------------------------------


def _line(exc: BaseException) -> int | None:
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    return lines[-1] if lines else None


def _why(exc: BaseException) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return exc.message or "syntax error"
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}"
    text = str(getattr(exc, "message", None) or exc)
    if isinstance(exc, RecursionError | MemoryError | OverflowError | ZeroDivisionError | TypeError | ValueError):
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text or type(exc).__name__


def describe(exc: BaseException, field: str) -> str:
    """``field: line N: why`` for a template error."""
    line = _line(exc)
    return f"{field}: line {line}: {_why(exc)}" if line else f"{field}: {_why(exc)}"


# --- rendering ----------------------------------------------------------------------------------------------


def render_text(source: str, mode: Mode, variables: Mapping[str, Any], field: str = "text") -> str:
    """One field's template rendered (RenderError naming ``field`` on any failure)."""
    if not _has_syntax(source):
        return source
    try:
        out: list[str] = []
        size = 0
        for chunk in _compiled(mode, source).generate(variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise SecurityError(f"the field renders to more than {MAX_OUTPUT:,} characters")
            out.append(chunk)
        return "".join(out)
    except Exception as exc:
        raise RenderError(describe(exc, field), field) from exc


def _render_value(value: Any, mode: Mode, variables: Mapping[str, Any], path: str) -> Any:
    if isinstance(value, str):
        return render_text(value, mode, variables, path)
    if isinstance(value, list):
        return [_render_value(v, "text", variables, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _render_value(v, "text", variables, f"{path}.{k}") for k, v in value.items()}
    return value


def _check_links(value: Any, path: str, top: bool = True) -> Any:
    """Rendered URLs must be http(s) (deep links: any app scheme); a field that renders empty is left out (a
    button's URL is an error). Checked: the content's own fields and those of the objects in its lists
    (Telegram's buttons), never a free mapping's keys (a push's ``data``)."""
    if isinstance(value, list):
        return [_check_links(v, f"{path}[{i}]", top=False) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    checked: dict[str, Any] = {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if isinstance(item, str) and key in URL_KEYS | DEEP_LINK_KEYS:
            item = item.strip()
            if not item and top:
                continue
            if not item:
                raise RenderError(f"{where}: rendered empty", where)
            problem = http_url_problem(item) if key in URL_KEYS else deep_link_problem(item)
            if problem:
                raise RenderError(f"{where}: rendered {item[:200]!r}, which {problem}", where)
        checked[key] = _check_links(item, where, top=False) if isinstance(item, list) else item
    return checked


def _render_content(content: Content, variables: Mapping[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    for key, value in content.model_dump(mode="json", exclude_none=True).items():
        rendered[key] = value if key in content.STATIC else _render_value(value, content.mode(key), variables, key)
    rendered = _check_links(rendered, "")
    for key in list(rendered):
        if isinstance(rendered[key], str) and not rendered[key].strip() and key not in content.STATIC:
            del rendered[key]  # an optional part that renders empty is absent
    for key in content.REQUIRED:
        if key not in rendered:
            raise RenderError(f"{key}: rendered empty", key)
    return rendered


def _finish_email(content: dict[str, Any]) -> dict[str, Any]:
    content["subject"] = " ".join(content["subject"].split())
    preheader = " ".join(content.pop("preheader", "").split())
    if preheader:
        content["preheader"] = preheader
    html = content.get("html")
    if html is None:
        if "text" not in content:
            raise RenderError("html: the email renders with neither html nor text", "html")
        return content
    if "text" not in content:
        content["text"] = mail.html_to_text(html)
    try:
        content["html"] = mail.finish_html(html, preheader or None)
    except Exception as exc:
        raise RenderError(f"html: could not inline its CSS: {exc}", "html") from exc
    return content


def render(template: Template, context: RenderContext | Mapping[str, Any], language: str | None = None) -> Rendered:
    """``template`` rendered for ``context``, in ``language`` (else the contact's, with fallbacks)."""
    try:
        given = context if isinstance(context, RenderContext) else RenderContext.model_validate(context)
    except ValidationError as exc:
        raise RenderError(f"the context is invalid: {exc.errors(include_url=False)[0]['msg']}") from exc
    chosen = template.pick_language(language or given.language_code)
    token = _BUDGET.set(_Budget())
    try:
        try:
            content = template.content_for(chosen)
        except ValidationError as exc:
            raise RenderError(f"the stored {chosen} content is invalid: {exc}") from exc
        rendered = _render_content(content, given.variables())
        if template.channel == "email":
            rendered = _finish_email(rendered)
        return Rendered(template.channel, chosen, rendered)
    except RenderError:
        raise
    except Exception as exc:  # never anything but RenderError
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        _BUDGET.reset(token)


# --- checks on save -----------------------------------------------------------------------------------------


def _syntax(value: Any, mode: Mode, path: str) -> list[ErrorDetail]:
    if isinstance(value, str):
        if not _has_syntax(value):
            return []
        try:
            _compiled(mode, value)
        except TemplateSyntaxError as exc:
            return [ErrorDetail(path, f"line {exc.lineno}: {exc.message or 'syntax error'}")]
        return []
    if isinstance(value, list):
        return [e for i, v in enumerate(value) for e in _syntax(v, "text", f"{path}[{i}]")]
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _syntax(v, "text", f"{path}.{k}")]
    return []


def syntax_errors(template: Template) -> list[ErrorDetail]:
    """Every field, in every language, that does not parse as a template: ``content.html`` with its line and
    what is wrong (``versions.uk.subject`` for a version's field)."""
    errors: list[ErrorDetail] = []
    for language in template.languages:
        content = template.content_for(language)
        given = template.content if language == template.language else template.versions[language]
        prefix = "content" if language == template.language else f"versions.{language}"
        for key, value in given.items():
            if key not in content.STATIC and value is not None:
                errors += _syntax(value, content.mode(key), f"{prefix}.{key}")
    return errors
