"""Collecting the eTA fee: a gateway protocol, the sandbox gateway, and the payment service.

The rules that keep a retry from charging twice: the application is saved before payment
starts; each attempt has an idempotency key that is committed before the gateway hears of
it; the gateway's word, never the browser's, settles a payment; and a reconciliation job
settles what the user abandoned.
"""
