"""Tandem sales service: Accounts, contacts, products, opportunities with line items, Sales Path stages and activities."""
