"""Outgoing messages: put into the outbox here, sent by the engine within channel limits."""
