"""The web UI for officers and staff (console) and the local chat simulator."""
