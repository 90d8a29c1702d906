"""The ceiling for bench_webhook.py: a bare Flask endpoint that answers like the webhook
(an empty TwiML <Response/>) without checking, storing or matching anything."""

from flask import Flask, Response

app = Flask(__name__)


@app.post("/webhooks/twilio")
def inbound():
    body = "<?xml version='1.0' encoding='UTF-8'?><Response />"
    return Response(body, mimetype="application/xml")
