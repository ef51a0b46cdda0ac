"""Twilio: ``driver`` (the provider), ``connection`` (client, errors, paging), ``mapping`` (legs → calls)."""
