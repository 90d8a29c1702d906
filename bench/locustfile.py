"""Locust users for bench_webhook.py: each is a citizen's phone sending signed, distinct,
realistic Twilio forms to POST /webhooks/twilio as fast as answers come back."""

import itertools
import os
import random
import uuid

from locust import FastHttpUser, task
from twilio.request_validator import RequestValidator

TOKEN = os.environ.get("BENCH_TOKEN", "bench-auth-token-0123456789abcdef")
PUBLIC = os.environ.get("BENCH_PUBLIC", "https://helpdesk.example.id")
VALIDATOR = RequestValidator(TOKEN)
MESSAGES = [
    "min syarat bkin ktp apa aja ya",
    "ktp saya hilang gimana cara urusnya",
    "cakmano caro buat ktp baru",
    "bikin kk baru syaratnya apa",
    "akta kelahiran anak saya bayar berapa",
    "jam buka kantor dukcapil kapan",
    "NIK saya 1671041290010003 belum terdaftar di bpjs",
    "halo",
    "kantor disdukcapil palembang dimana",
    "pindah domisili dari lahat ke palembang bawa apa saja",
    "ktp rusak bisa diganti ga",
    "petugas",
]
_counter = itertools.count()


class Phone(FastHttpUser):
    """One sender after another: distinct numbers (no rate limit), distinct MessageSids."""

    @task
    def send(self):
        n = next(_counter)
        sid = "SM" + uuid.uuid4().hex
        form = {
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ProfileName": "Warga",
            "SmsSid": sid,
            "WaId": f"62812{n % 5000:07d}",
            "SmsStatus": "received",
            "Body": random.choice(MESSAGES),  # noqa: S311
            "To": "whatsapp:+14155238886",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": f"whatsapp:+62812{n % 5000:07d}",
            "ApiVersion": "2010-04-01",
        }
        signature = VALIDATOR.compute_signature(PUBLIC + "/webhooks/twilio", form)
        with self.client.post(
            "/webhooks/twilio",
            data=form,
            headers={"X-Twilio-Signature": signature},
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
