"""HTTP transport: everything that knows Twilio lives in this package."""
