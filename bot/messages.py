"""Neutral message values shared by transports, dialogue and storage (imports nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

WHATSAPP = "whatsapp"
SMS = "sms"


@dataclass(frozen=True)
class Media:
    """One attachment the citizen sent (photo, voice note, document)."""

    url: str
    content_type: str


@dataclass(frozen=True)
class Inbound:
    """One message from a citizen, whatever transport carried it."""

    channel: str  # WHATSAPP | SMS
    sender: str  # E.164 number, without the "whatsapp:" prefix
    recipient: str  # our number (E.164), without prefix
    body: str  # cleaned text, may be empty
    provider_sid: str | None = None  # Twilio MessageSid; None for the simulator
    profile_name: str | None = None  # WhatsApp profile name
    media: tuple[Media, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    received_at: datetime | None = None
    truncated: bool = False  # the body was cut to the configured limit
    raw: dict = field(default_factory=dict, compare=False)  # the transport's form


@dataclass(frozen=True)
class Reply:
    """One message the bot answers with, in the same exchange."""

    text: str


@dataclass(frozen=True)
class Outbound:
    """One message to send outside the webhook exchange (officer reply, template)."""

    channel: str
    to: str
    body: str | None = None
    content_sid: str | None = None  # an approved WhatsApp template
    content_variables: dict | None = None
    message_id: int | None = None  # our message row; the provider's status callbacks echo it
    part: int = 0  # which part of a long text (0 = first)
