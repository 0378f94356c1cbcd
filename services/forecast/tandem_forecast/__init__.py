"""Tandem forecast service: Real-time collaborative forecasts, quotas, adjustments, pipeline analytics and reports."""
