"""Fetch the media a citizen sent through Twilio (pungli evidence): the one-method seam
`fetch(url) -> (bytes, content_type)` the worker uses.

Twilio's media URLs need the account's credentials (HTTP basic auth) and redirect to a
CDN; the credentials go to Twilio's host only, never to the redirect target.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request

from bot.evidence import Refused

TWILIO_API = "https://api.twilio.com"
REDIRECTS = (301, 302, 303, 307, 308)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # redirects are followed by hand, without the credentials


class TwilioMediaFetcher:
    """Download Twilio media with the account SID and auth token."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        api_base: str = TWILIO_API,
        max_bytes: int = 16_000_000,
        timeout: float = 30,
        max_redirects: int = 5,
    ):
        token = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._authorization = f"Basic {token}"
        self.api_base = api_base.rstrip("/") + "/"
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self._opener = urllib.request.build_opener(_NoRedirect())

    def fetch(self, url: str) -> tuple[bytes, str]:
        """Return the file's bytes and content type; raise on any failure."""
        if not url.startswith(self.api_base):
            raise Refused("alamat media bukan dari Twilio")
        headers = {"Authorization": self._authorization}
        for _ in range(self.max_redirects + 1):
            request = urllib.request.Request(url, headers=headers)  # noqa: S310 - checked above
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    return self._read(response)
            except urllib.error.HTTPError as exc:
                if exc.code not in REDIRECTS or not exc.headers.get("Location"):
                    raise
                url = urllib.parse.urljoin(url, exc.headers["Location"])
                if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                    raise Refused("pengalihan ke alamat yang tidak didukung") from exc
                headers = {}  # the CDN gets a signed URL, not our credentials
        raise Refused("terlalu banyak pengalihan")

    def _read(self, response) -> tuple[bytes, str]:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            raise Refused(f"berkas terlalu besar: {length} byte")
        data = response.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise Refused("berkas terlalu besar")
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return data, content_type.split(";")[0].strip().lower()


def fetcher_from_config(config: dict, **options) -> TwilioMediaFetcher | None:
    """Return the fetcher for the app's Twilio account (TWILIO_API_BASE_URL, if set, in
    place of Twilio's API host); None without credentials."""
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    if not sid or not token:
        return None
    api_base = config.get("TWILIO_API_BASE_URL") or TWILIO_API
    return TwilioMediaFetcher(sid, token, api_base=api_base, **options)
