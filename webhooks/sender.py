"""The Twilio REST sender: one outbound message → client.messages.create → SendResult."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot import outbox
from bot.messages import WHATSAPP, Outbound

log = logging.getLogger(__name__)

API_BASE = "https://api.twilio.com"
STATUS_PATH = "/webhooks/twilio/status"

# Twilio error codes that no retry can fix (https://www.twilio.com/docs/api/errors).
PERMANENT = frozenset(
    {
        63016,  # WhatsApp: outside the 24-hour window, only a template goes through
        63003,  # WhatsApp: the number is not on WhatsApp
        63024,  # WhatsApp: the recipient is not a valid WhatsApp user
        63014,  # WhatsApp: blocked by the recipient
        21211,  # invalid To number
        21610,  # the recipient replied STOP (unsubscribed)
        21614,  # not a mobile number
        21408,  # sending to this region is not enabled
        21612,  # this From cannot reach this To
        21617,  # body too long (we split, so this is a bug, not bad luck)
        21656,  # ContentVariables are not valid JSON
        63027,  # template not delivered (WhatsApp)
    }
)
# Codes that mean "later": rate limits and queue overflows.
RETRYABLE = frozenset({63018, 20429, 14107, 30001, 20003})


def classify(status: int | None, code: int | None) -> bool:
    """Return True when an HTTP error from Twilio is worth retrying."""
    if code in PERMANENT:
        return False
    if code in RETRYABLE or status is None:
        return True
    # 401: wrong credentials is an operator's mistake, fixed without losing the messages.
    return status in (401, 408, 409, 429) or status >= 500


class ApiBaseHttpClient(TwilioHttpClient):
    """The official HTTP client, sending to another base URL (tests, Prism, a proxy)."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(API_BASE):
            url = self.base_url + url[len(API_BASE) :]
        return super().request(method, url, *args, **kwargs)


class TwilioSender:
    """Send one Outbound through Twilio's Messages API with the official client."""

    local = False

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_whatsapp: str | None = None,
        from_sms: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        http_client: TwilioHttpClient | None = None,
        timeout: float = 15.0,
    ):
        self.client = Client(
            account_sid,
            auth_token,
            http_client=http_client or TwilioHttpClient(timeout=timeout),
        )
        if getattr(self.client.http_client, "timeout", None) is None:
            self.client.http_client.timeout = timeout
        self.from_whatsapp = _bare(from_whatsapp)
        self.from_sms = _bare(from_sms)
        self.messaging_service_sid = messaging_service_sid or None
        self.status_callback = status_callback or None

    def params(self, outbound: Outbound) -> dict | None:
        """Return the keyword arguments for messages.create, or None without a sender."""
        whatsapp = outbound.channel == WHATSAPP
        params: dict = {"to": f"whatsapp:{outbound.to}" if whatsapp else outbound.to}
        if self.messaging_service_sid:
            params["messaging_service_sid"] = self.messaging_service_sid
        else:
            sender = self.from_whatsapp if whatsapp else self.from_sms
            if not sender:
                return None
            params["from_"] = f"whatsapp:{sender}" if whatsapp else sender
        if outbound.content_sid:
            params["content_sid"] = outbound.content_sid
            if outbound.content_variables:
                params["content_variables"] = json.dumps(
                    outbound.content_variables, ensure_ascii=False
                )
        else:
            params["body"] = outbound.body or ""
        if self.status_callback:
            url = self.status_callback
            if outbound.message_id is not None:
                url += f"?m={outbound.message_id}&p={outbound.part}"
            params["status_callback"] = url
        return params

    def send(self, outbound: Outbound) -> outbox.SendResult:
        """Create the message at Twilio; errors become a SendResult, never an exception."""
        params = self.params(outbound)
        if params is None:
            return outbox.SendResult(
                error_code=outbox.NO_SENDER, detail=f"no sender for {outbound.channel}"
            )
        try:
            message = self.client.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as exc:
            code = exc.code if isinstance(exc.code, int) else None
            return outbox.SendResult(
                error_code=str(code or exc.status),
                retryable=classify(exc.status, code),
                detail=f"HTTP {exc.status}",
            )
        except requests.Timeout:
            # Twilio may have accepted it: the one case a retry can repeat a message.
            return outbox.SendResult(error_code="timeout", retryable=True, detail="timeout")
        except requests.RequestException as exc:
            return outbox.SendResult(
                error_code="network", retryable=True, detail=type(exc).__name__
            )
        except (TwilioException, ValueError) as exc:
            return outbox.SendResult(
                error_code="response", retryable=True, detail=type(exc).__name__
            )
        return outbox.SendResult(sid=message.sid, status=str(message.status or "queued"))

    def fetch_status(self, sid: str) -> tuple[str, str | None] | None:
        """Return (status, error code) of a message Twilio has, or None when it cannot tell."""
        try:
            message = self.client.messages(sid).fetch()
        except (TwilioException, requests.RequestException, ValueError) as exc:
            log.warning("status of %s not fetched: %s", sid, type(exc).__name__)
            return None
        code = message.error_code
        return str(message.status or ""), str(code) if code else None


def _bare(number: str | None) -> str | None:
    return number.removeprefix("whatsapp:").strip() or None if number else None


def sender_from_config(config: Mapping, settings: outbox.Settings) -> outbox.Sender:
    """Return the Twilio sender when an account is configured, else the local sender."""
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    if not (sid and token):
        return outbox.LocalSender()
    base = config.get("PUBLIC_BASE_URL")
    api_base = config.get("TWILIO_API_BASE_URL")
    http_client = (
        ApiBaseHttpClient(api_base, timeout=settings.timeout_seconds)
        if api_base
        else TwilioHttpClient(timeout=settings.timeout_seconds)
    )
    sender = TwilioSender(
        sid,
        token,
        from_whatsapp=config.get("TWILIO_WHATSAPP_FROM"),
        from_sms=config.get("TWILIO_SMS_FROM"),
        messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID"),
        status_callback=base.rstrip("/") + STATUS_PATH if base else None,
        http_client=http_client,
        timeout=settings.timeout_seconds,
    )
    if not (sender.messaging_service_sid or sender.from_whatsapp or sender.from_sms):
        log.error("Twilio account set but no TWILIO_WHATSAPP_FROM, TWILIO_SMS_FROM or "
                  "TWILIO_MESSAGING_SERVICE_SID: every message will fail")  # fmt: skip
    if not base:
        log.warning("PUBLIC_BASE_URL not set: no delivery status callbacks")
    return sender
