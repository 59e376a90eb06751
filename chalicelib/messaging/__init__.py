"""Messages: what they say and the rules of sending them. Pure domain code: no AWS, no Chalice.

Content: templates per channel with language versions (``templates``), their sandboxed rendering (``render``,
with its ``context`` and the email finishing in ``mail``) and SMS length counting (``sms``). Sending: consent,
the send ledger's keys and outbound message records live beside them in their own modules.
"""
