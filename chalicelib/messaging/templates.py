"""Message templates: each channel's content, language versions, and the stored template.

Every channel's content is a pydantic model with ``extra="forbid"``: a misspelt field is an error naming it.
A template holds its default language's ``content`` in full and, per further language code, a version: the
fields that differ in that language (the rest come from ``content``; a field given as ``null`` is absent in
that language). Each version is checked as the whole content it makes.

Text fields are jinja templates (``render.py`` parses and renders them); a field's class says how it renders
(``HTML``: autoescaped; ``STATIC``: never rendered; the rest as plain text). URL fields accept an http(s) URL
or a value starting with a placeholder, and are checked again once rendered.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Annotated, Any, ClassVar, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.validation import LanguageCode, clean_tags, details_from, normalize_email

Channel = Literal["email", "sms", "mobilepush", "webpush", "telegram", "viber", "appinbox", "inapp"]
CHANNELS: tuple[str, ...] = get_args(Channel)
Mode = Literal["html", "text", "markdownv2"]

ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ID_RULE = "Lower-case letters, digits, - and _; absent: made from the name"
MAX_VERSIONS = 50
MAX_PACKED_BYTES = 350_000
"""A stored template (compressed JSON) stays well under DynamoDB's 400 KB item limit."""

_PLACEHOLDER = ("{{", "{%")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_BLOCKED_SCHEMES = ("javascript", "data", "vbscript", "file")
_SENDER = re.compile(r'^\s*(?:(?P<name>[^<>"\r\n]{1,100}?)\s*<(?P<address>[^<>\s]+)>|(?P<bare>[^<>\s]+))\s*$')


def http_url_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute http(s) URL (None: it is one)."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "must be an http or https URL"
    return None


def deep_link_problem(value: str) -> str | None:
    """Why ``value`` is not a link an app can open (``myapp://...``, ``https://...``); None: it is one."""
    match = _SCHEME.match(value.strip())
    if match is None:
        return "must be a link with a scheme, like myapp://cart or https://shop.example/cart"
    if match.group(0)[:-1].lower() in _BLOCKED_SCHEMES:
        return f"must not be a {match.group(0)} link"
    return None


def _url(value: str) -> str:
    value = value.strip()
    if not value.startswith(_PLACEHOLDER) and (problem := http_url_problem(value)):
        raise ValueError(problem + " (or start with a {{ placeholder }})")
    return value


def _deep_link(value: str) -> str:
    value = value.strip()
    if not value.startswith(_PLACEHOLDER) and (problem := deep_link_problem(value)):
        raise ValueError(problem)
    return value


def _sender(value: str) -> str:
    match = _SENDER.match(value)
    if match is None:
        raise ValueError('must be an address or "Name <address>"')
    address = normalize_email(match["address"] or match["bare"])
    name = (match["name"] or "").strip()
    return f"{name} <{address}>" if name else address


Url = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_url)]
DeepLink = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_deep_link)]
Sender = Annotated[str, Field(min_length=3, max_length=320), AfterValidator(_sender)]
Email = Annotated[str, Field(max_length=320), AfterValidator(normalize_email)]

URL_KEYS = frozenset({"image", "icon", "url", "link", "buttonUrl"})
"""Rendered values under these keys (at any depth) must be http(s) URLs."""
DEEP_LINK_KEYS = frozenset({"deepLink"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True)


class Content(_Strict):
    """A channel's content. Subclasses say how each field renders."""

    HTML: ClassVar[frozenset[str]] = frozenset()  # rendered with HTML autoescaping
    STATIC: ClassVar[frozenset[str]] = frozenset()  # never rendered (settings, addresses)
    REQUIRED: ClassVar[tuple[str, ...]] = ()  # must not render empty

    def mode(self, key: str) -> Mode:
        """How the field under ``key`` (its JSON name) renders."""
        return "html" if key in self.HTML else "text"


class EmailContent(Content):
    """An email: `html` and/or `text` (text is made from the HTML when absent), CSS inlined when sent."""

    from_: Sender = Field(alias="from", description='The sender: "Shop <shop@example.com>" or an address')
    replyTo: Email | None = None
    subject: str = Field(min_length=1, max_length=500)
    preheader: str | None = Field(
        default=None, max_length=500, description="The preview text inboxes show after the subject (hidden in the body)"
    )
    html: str | None = Field(default=None, max_length=400_000)
    text: str | None = Field(default=None, max_length=100_000, description="Absent: made from the HTML")

    HTML = frozenset({"html"})
    STATIC = frozenset({"from", "replyTo"})
    REQUIRED = ("subject",)

    @model_validator(mode="after")
    def _body(self) -> EmailContent:
        if not (self.html or "").strip() and not (self.text or "").strip():
            raise ValueError("an email needs html or text")
        return self


class SmsContent(Content):
    """An SMS: plain text; the API answers its length, encoding and segments."""

    text: str = Field(min_length=1, max_length=1600)

    REQUIRED = ("text",)


class MobilePushContent(Content):
    """A mobile push notification (FCM / APNs)."""

    title: str | None = Field(default=None, max_length=200)
    body: str = Field(min_length=1, max_length=2000)
    image: Url | None = None
    deepLink: DeepLink | None = Field(default=None, description="Where a tap leads: myapp://... or https://...")
    data: dict[Annotated[str, Field(min_length=1, max_length=100)], Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict, max_length=50, description="Key/value strings handed to the app"
    )

    REQUIRED = ("body",)


class WebPushContent(Content):
    """A browser push notification."""

    title: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=1000)
    icon: Url | None = None
    url: Url | None = Field(default=None, description="Opened on click")

    REQUIRED = ("title",)


class TelegramButton(_Strict):
    text: str = Field(min_length=1, max_length=64)
    url: Url


class TelegramContent(Content):
    """A Telegram bot message; `parseMode` HTML or MarkdownV2 escapes personalized values for that markup."""

    text: str = Field(min_length=1, max_length=4096)
    parseMode: Literal["HTML", "MarkdownV2"] | None = Field(default=None, description="Absent: plain text")
    buttons: list[Annotated[list[TelegramButton], Field(min_length=1, max_length=8)]] = Field(
        default_factory=list, max_length=10, description="Inline keyboard: rows of URL buttons"
    )

    STATIC = frozenset({"parseMode"})
    REQUIRED = ("text",)

    def mode(self, key: str) -> Mode:
        if key == "text" and self.parseMode == "HTML":
            return "html"
        if key == "text" and self.parseMode == "MarkdownV2":
            return "markdownv2"
        return "text"


class ViberContent(Content):
    """A Viber business message: text, an image, and one button."""

    text: str | None = Field(default=None, max_length=1000)
    image: Url | None = None
    buttonText: str | None = Field(default=None, min_length=1, max_length=30)
    buttonUrl: Url | None = None

    @model_validator(mode="after")
    def _parts(self) -> ViberContent:
        if not self.text and not self.image:
            raise ValueError("a Viber message needs text or an image")
        if (self.buttonText is None) != (self.buttonUrl is None):
            raise ValueError("buttonText and buttonUrl go together")
        return self


class AppInboxContent(Content):
    """A message in the app's inbox."""

    title: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=4000)
    image: Url | None = None
    link: Url | None = None
    expiresInDays: int | None = Field(default=None, ge=1, le=365, description="Absent: kept until deleted")

    STATIC = frozenset({"expiresInDays"})
    REQUIRED = ("title",)


FORM_FIELD = r"^(email|phone|firstName|lastName|fields\.[A-Za-z_][A-Za-z0-9_]{0,63})$"


class FormField(_Strict):
    name: str = Field(pattern=FORM_FIELD, description="email, phone, firstName, lastName or fields.<name>")
    label: str = Field(min_length=1, max_length=100)
    required: bool = False


class SubscriptionForm(_Strict):
    """A subscription form in a pop-up: it creates (or updates) the contact that fills it in."""

    fields: list[FormField] = Field(min_length=1, max_length=10)
    submitText: str = Field(default="Subscribe", min_length=1, max_length=50)
    successText: str = Field(default="Thank you!", min_length=1, max_length=200)

    @model_validator(mode="after")
    def _reachable(self) -> SubscriptionForm:
        names = [f.name for f in self.fields]
        if "email" not in names and "phone" not in names:
            raise ValueError("a subscription form asks for email or phone")
        if len(set(names)) != len(names):
            raise ValueError("each field appears once")
        return self


class InAppContent(Content):
    """An on-site message or widget shown by orbit.js: text, custom HTML, and an optional subscription form."""

    title: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=2000)
    html: str | None = Field(default=None, max_length=100_000)
    position: Literal["center", "top", "bottom", "bottomLeft", "bottomRight"] = "center"
    form: SubscriptionForm | None = None

    HTML = frozenset({"html"})
    STATIC = frozenset({"position", "form"})

    @model_validator(mode="after")
    def _shown(self) -> InAppContent:
        if not (self.title or self.body or self.html):
            raise ValueError("an in-app message needs a title, body or html")
        return self


CONTENT: dict[str, type[Content]] = {
    "email": EmailContent,
    "sms": SmsContent,
    "mobilepush": MobilePushContent,
    "webpush": WebPushContent,
    "telegram": TelegramContent,
    "viber": ViberContent,
    "appinbox": AppInboxContent,
    "inapp": InAppContent,
}


class TemplateIn(_Strict):
    """``POST /v1/templates`` and ``PUT /v1/templates/{id}``."""

    id: str | None = Field(default=None, pattern=ID, description=ID_RULE)
    name: str = Field(min_length=1, max_length=200)
    channel: Channel
    tags: list[str] = Field(default_factory=list, max_length=20)
    description: str | None = Field(default=None, max_length=1000)
    language: LanguageCode = Field(default="en", description="The language of `content`, the default version")
    content: dict[str, Any] = Field(description="The channel's fields (docs/templates.md, Reference)")
    versions: dict[LanguageCode, dict[str, Any]] = Field(
        default_factory=dict,
        max_length=MAX_VERSIONS,
        description="Per further language code, the fields of `content` that differ in that language",
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return clean_tags(tags)


class Template(_Strict):
    """A stored template: ``content`` as validated (absent fields left out), ``versions`` as given."""

    id: str
    name: str
    channel: Channel
    tags: tuple[str, ...] = ()
    description: str | None = None
    language: str
    content: dict[str, Any]
    versions: dict[str, dict[str, Any]] = Field(default_factory=dict)
    revision: int = 1
    createdAt: str
    updatedAt: str

    @property
    def languages(self) -> list[str]:
        """The default language first, then the versions' codes."""
        return [self.language, *self.versions]

    def content_for(self, language: str) -> Content:
        """The whole content in ``language`` (one of ``languages``): the version's fields over ``content``."""
        override = self.versions.get(language, {}) if language != self.language else {}
        return CONTENT[self.channel].model_validate({**self.content, **override})

    def pick_language(self, wanted: str | None) -> str:
        """The version for a contact's language code: the same code (any case), else its base language
        (``uk-UA`` -> ``uk``), else the default language."""
        if wanted:
            by_code = {code.lower(): code for code in self.languages}
            wanted = wanted.lower()
            for candidate in (wanted, wanted.split("-", 1)[0]):
                if candidate in by_code:
                    return by_code[candidate]
        return self.language

    def pack(self) -> bytes:
        """The template as stored: compressed canonical JSON."""
        return zlib.compress(json.dumps(self.model_dump(mode="json"), separators=(",", ":")).encode(), 6)

    @classmethod
    def unpack(cls, data: bytes) -> Template:
        return cls.model_validate(json.loads(zlib.decompress(data)))


def checked_content(body: TemplateIn) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The body's content (validated, dumped without absent fields) and versions (checked as the whole content
    each makes), or InvalidInput naming every bad field (``content.subject``, ``versions.uk.html``)."""
    model = CONTENT[body.channel]
    errors: list[ErrorDetail] = []
    try:
        content = model.model_validate(body.content).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise InvalidInput("The template's content is invalid", details_from(exc, "content")) from exc
    default = body.language.lower()
    seen: set[str] = set()
    for code, override in body.versions.items():
        path = f"versions.{code}"
        if code.lower() == default:
            errors.append(ErrorDetail(path, f"is the default language ({body.language}): its content is `content`"))
            continue
        if code.lower() in seen:
            errors.append(ErrorDetail(path, "is given twice (language codes are compared ignoring case)"))
            continue
        seen.add(code.lower())
        try:
            model.model_validate({**content, **override})
        except ValidationError as exc:
            errors.extend(details_from(exc, path))
    if errors:
        raise InvalidInput("A language version of the template is invalid", errors)
    return content, {code: dict(override) for code, override in body.versions.items()}


def check_size(template: Template) -> None:
    if len(template.pack()) > MAX_PACKED_BYTES:
        raise InvalidInput(
            "The template is too large to store",
            [ErrorDetail("content", f"with its versions, must compress to at most {MAX_PACKED_BYTES} bytes")],
        )
