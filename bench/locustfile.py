"""Locust users for bench_webhook.py: each is a citizen's phone sending signed, distinct,
realistic Twilio forms to POST /webhooks/twilio as fast as answers come back: each message
comes from a new number (a first contact: welcome and menu, then the answer)."""

import itertools
import os
import random

from locust import FastHttpUser, task
from twilio.request_validator import RequestValidator

from bench.citizen_texts import (  # the runner's working directory is the root
    citizen_texts,
    whatsapp_form,
)

TOKEN = os.environ.get("BENCH_TOKEN", "bench-auth-token-0123456789abcdef")
PUBLIC = os.environ.get("BENCH_PUBLIC", "https://helpdesk.example.id")
VALIDATOR = RequestValidator(TOKEN)
MESSAGES = citizen_texts()
# Numbers start at a random point, so the cells of one run never share a contact.
FIRST_NUMBER = random.randrange(10**8)  # noqa: S311
_counter = itertools.count()


class Phone(FastHttpUser):
    """One sender after another: distinct numbers (no rate limit), distinct MessageSids."""

    @task
    def send(self):
        number = f"+62812{(FIRST_NUMBER + next(_counter)) % 10**8:08d}"
        form = whatsapp_form(random.choice(MESSAGES), number)  # noqa: S311
        signature = VALIDATOR.compute_signature(PUBLIC + "/webhooks/twilio", form)
        with self.client.post(
            "/webhooks/twilio",
            data=form,
            headers={"X-Twilio-Signature": signature},
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
