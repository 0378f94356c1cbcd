"""Tandem service desk service: Cases, comments, SLAs and the referrals of upsell leads that agents raise."""
