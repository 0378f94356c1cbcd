"""Tandem notify service: In-app notifications, email and webhooks."""
